//! Strings only the console shows, in a table of its own ([`crate::i18n`] holds
//! those the widget shows too): the widget's code does not carry them.

use crate::i18n::{fill, table, Lang};

table! {
    Word, w, ALL_WORDS;
    History => "History", "历史记录", "歷史紀錄";
    SearchMessages => "Search messages", "搜索消息", "搜尋訊息";
    SearchPlaceholder => "Words or characters, e.g. refund 退款", "输入词语，例如 退款", "輸入詞語，例如 退款";
    AnyAgent => "Any agent", "所有客服", "所有客服";
    VisitorName => "Visitor name", "访客姓名", "訪客姓名";
    FromDate => "From", "开始日期", "開始日期";
    ToDate => "Until", "结束日期", "結束日期";
    AnyRating => "Any rating", "全部评价", "全部評價";
    RatedGoodFilter => "Rated good", "好评", "好評";
    RatedBadFilter => "Rated bad", "差评", "差評";
    NotRated => "Not rated", "未评价", "未評價";
    NoHistory => "No conversations match.", "没有符合条件的会话。", "沒有符合條件的會話。";
    NoResults => "No messages match.", "没有符合的消息。", "沒有符合的訊息。";
    ShowMore => "Show more", "显示更多", "顯示更多";
    Missed => "missed", "未接", "未接";
    Ongoing => "ongoing", "进行中", "進行中";
    Closed => "closed", "已结束", "已結束";
    PickFromHistory => "Pick a conversation to read it here.", "选择一个会话即可在此阅读。", "選擇一個會話即可在此閱讀。";
    EarlierChats => "Earlier conversations", "以往的会话", "以往的會話";
    NoEarlierChats => "No earlier conversations.", "没有以往的会话。", "沒有以往的會話。";
    Filters => "Filters", "筛选", "篩選";
    NoteHit => "note", "备注", "備註";
    Entries => "{} entries", "{} 条记录", "{} 則紀錄";
    Transfer => "Transfer", "转接", "轉接";
    TransferTo => "Hand this conversation to", "将此会话转给", "將此會話轉給";
    TransferReason => "Why (only agents see it)", "原因（仅客服可见）", "原因（僅客服可見）";
    StayInConversation => "Stay in the conversation", "我继续留在会话中", "我繼續留在會話中";
    BackToQueue => "Back to the queue", "放回等待队列", "放回等待佇列";
    NobodyOnline => "No other agent is online.", "没有其他在线客服。", "沒有其他線上客服。";
    Cancel => "Cancel", "取消", "取消";
    CannedReplies => "Canned replies", "快捷回复", "快速回覆";
    CannedHint => "Type / and a shortcut in the message box. {visitor} and {agent} become the names.", "在消息框中输入 / 和快捷词。{访客} 和 {客服} 会换成对应的名字。", "在訊息框中輸入 / 和快捷詞。{訪客} 和 {客服} 會換成對應的名字。";
    NoCannedReplies => "No canned replies yet.", "还没有快捷回复。", "還沒有快速回覆。";
    NoCannedMatch => "No canned reply starts so.", "没有以此开头的快捷回复。", "沒有以此開頭的快速回覆。";
    AddCannedReply => "Add a reply of your own", "添加个人快捷回复", "新增個人快速回覆";
    Shortcut => "Shortcut", "快捷词", "快捷詞";
    ReplyText => "Text", "内容", "內容";
    SharedWithTeam => "Shared with the team", "团队共享", "團隊共用";
    SharedTag => "team", "团队", "團隊";
    RemoveReply => "Remove", "删除", "刪除";
    Departments => "Departments", "部门", "部門";
    DepartmentsHint => "A page's chats go to a department when its widget tag says so: data-department=\"sales\".", "在网页的挂件标签上写明 data-department=\"sales\"，该页的对话就会进入对应部门。", "在網頁的掛件標籤上寫明 data-department=\"sales\"，該頁的對話就會進入對應部門。";
    NoDepartments => "No departments yet: every chat waits in one queue.", "还没有部门：所有对话在同一个队列中等待。", "還沒有部門：所有對話在同一個佇列中等待。";
    AddDepartment => "Add a department", "添加部门", "新增部門";
    DepartmentId => "Id (on the widget tag)", "标识（用于挂件标签）", "識別碼（用於掛件標籤）";
    DepartmentName => "Name", "名称", "名稱";
    DepartmentAgents => "Agents", "客服", "客服";
    DepartmentSaved => "Department saved.", "部门已保存。", "部門已儲存。";
    DepartmentRemoved => "Department removed.", "部门已删除。", "部門已刪除。";
    Routing => "Routing", "分配方式", "分配方式";
    RoutingManual => "Manual (agents take chats from the queue)", "手动（客服从队列中接入）", "手動（客服從佇列中接入）";
    RoutingRoundRobin => "Round robin", "轮流分配", "輪流分配";
    RoutingLeastBusy => "Least busy", "分配给最空闲的客服", "分配給最空閒的客服";
    MaxChats => "Most chats per agent", "每位客服最多对话数", "每位客服最多對話數";
    OfferSeconds => "Seconds to take an offered chat", "接入分配对话的时限（秒）", "接入分配對話的時限（秒）";
    AllDepartments => "All departments", "所有部门", "所有部門";
    MyDepartments => "My departments", "我的部门", "我的部門";
    OfferedToYou => "Offered to you: take it or pass", "分配给你：请接入或转给他人", "分配給你：請接入或轉給他人";
    OfferedTo => "Offered to {}", "已分配给 {}", "已分配給 {}";
    QueueFilter => "Show the chats of", "显示哪些对话", "顯示哪些對話";
    HoursOn => "Opening hours (otherwise always open)", "营业时间（不设置则全天开放）", "營業時間（不設定則全天開放）";
    TimeZone => "Time zone", "时区", "時區";
    Opens => "Opens", "开始", "開始";
    Closes => "Closes", "结束", "結束";
    AwayMessage => "Away message, shown with the leave-a-message form while nobody can answer", "离开提示：无人接待时显示在留言表单上方", "離開提示：無人接待時顯示在留言表單上方";
    Monday => "Monday", "星期一", "星期一";
    Tuesday => "Tuesday", "星期二", "星期二";
    Wednesday => "Wednesday", "星期三", "星期三";
    Thursday => "Thursday", "星期四", "星期四";
    Friday => "Friday", "星期五", "星期五";
    Saturday => "Saturday", "星期六", "星期六";
    Sunday => "Sunday", "星期日", "星期日";
}

/// A console string with each `{}` filled in order.
pub fn wf(lang: Lang, key: Word, args: &[&str]) -> String {
    fill(w(lang, key), args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_console_word_is_translated_into_every_language() {
        crate::i18n::tests::check_table(ALL_WORDS, w);
    }
}
