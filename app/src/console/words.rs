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
    Websites => "Websites", "网站", "網站";
    WebsitesHint => "The company sites the widget is on, each with its own look. A page finds its website by its address, or by data-site on the widget tag. Changes reach visitors on their next page.", "挂件所在的公司网站，每个网站可有自己的外观。网页按地址找到所属网站，或在挂件标签上写明 data-site。修改会在访客打开下一个页面时生效。", "掛件所在的公司網站，每個網站可有自己的外觀。網頁按網址找到所屬網站，或在掛件標籤上寫明 data-site。修改會在訪客開啟下一個頁面時生效。";
    NoWebsites => "No websites yet: the widget has its own look, on the sites the server's settings allow.", "还没有网站：挂件使用默认外观，只出现在服务器设置允许的网站上。", "還沒有網站：掛件使用預設外觀，只出現在伺服器設定允許的網站上。";
    AddWebsite => "Add a website", "添加网站", "新增網站";
    WebsiteId => "Id (data-site on the widget tag)", "标识（挂件标签的 data-site）", "識別碼（掛件標籤的 data-site）";
    WebsiteName => "Name", "名称", "名稱";
    WebsiteOrigins => "Addresses allowed to show the widget, one per line", "允许显示挂件的网址，每行一个", "允許顯示掛件的網址，每行一個";
    WidgetColour => "Own colour", "自定义颜色", "自訂顏色";
    WidgetPosition => "Corner", "位置", "位置";
    PositionRight => "Bottom right", "右下角", "右下角";
    PositionLeft => "Bottom left", "左下角", "左下角";
    WidgetLanguage => "Language", "语言", "語言";
    VisitorsLanguage => "The visitor's browser's", "跟随访客浏览器", "跟隨訪客瀏覽器";
    LauncherText => "Launcher text (a round button when empty)", "按钮文字（留空则为圆形按钮）", "按鈕文字（留空則為圓形按鈕）";
    Greeting => "Greeting above the first message", "第一条消息上方的问候语", "第一則訊息上方的問候語";
    ShowAgents => "The header names the agents answering", "标题栏显示接待客服的名字", "標題列顯示接待客服的名字";
    WebsiteTag => "On its pages: ", "在其网页上：", "在其網頁上：";
    WebsiteSaved => "Website saved.", "网站已保存。", "網站已儲存。";
    PreChatForm => "Before the first message, ask for (each one required)", "第一条消息之前，请访客填写（均为必填）", "第一則訊息之前，請訪客填寫（均為必填）";
    AskName => "Name", "姓名", "姓名";
    AskEmail => "Email address", "电子邮箱", "電子郵件";
    AskDepartment => "Department", "部门", "部門";
    ConsentText => "A box to tick, with these words (none when empty)", "需要勾选的同意条款（留空则不显示）", "需要勾選的同意條款（留空則不顯示）";
    WebsiteIdTaken => "a website has this id already", "已有网站使用此标识", "已有網站使用此識別碼";
    WebsiteRemoved => "Website removed.", "网站已删除。", "網站已刪除。";
    InvitationRules => "Proactive invitations", "主动邀请", "主動邀請";
    InvitationRulesHint => "Rules that invite a visitor to chat by themselves, with a greeting from an online agent, at most once per visit. The conversation tells agents which rule invited.", "满足规则的访客会自动收到在线客服的聊天邀请和问候语，每次访问每条规则最多一次。会话中会告诉客服是哪条规则发出的邀请。", "符合規則的訪客會自動收到線上客服的聊天邀請和問候語，每次造訪每條規則最多一次。會話中會告訴客服是哪條規則發出的邀請。";
    NoInvitationRules => "No rules yet: agents invite visitors themselves.", "还没有规则：由客服手动邀请访客。", "還沒有規則：由客服手動邀請訪客。";
    AddInvitationRule => "Add a rule", "添加规则", "新增規則";
    RuleId => "Id", "标识", "識別碼";
    RuleName => "Name (agents see it)", "名称（客服可见）", "名稱（客服可見）";
    RuleEnabled => "On", "启用", "啟用";
    RulePattern => "Page address (* for anything; every page when empty)", "页面网址（* 代表任意内容；留空则为所有页面）", "頁面網址（* 代表任意內容；留空則為所有頁面）";
    RuleSeconds => "Seconds on the page", "在页面停留秒数", "在頁面停留秒數";
    RulePages => "Pages viewed, at least", "至少浏览页面数", "至少瀏覽頁面數";
    RuleReturning => "Returning visitors only", "仅限回访访客", "僅限回訪訪客";
    RuleDepartment => "Invited by", "邀请者", "邀請者";
    AnyOnlineAgent => "Any online agent", "任一在线客服", "任一線上客服";
    RuleGreeting => "Greeting", "问候语", "問候語";
    RuleSaved => "Rule saved.", "规则已保存。", "規則已儲存。";
    RuleIdTaken => "a rule has this id already", "已有规则使用此标识", "已有規則使用此識別碼";
    RuleRemoved => "Rule removed.", "规则已删除。", "規則已刪除。";
    AuditLog => "Audit log", "审计日志", "稽核日誌";
    AuditHint => "Every change an admin made here, who made it and when, newest first. Nobody can change or remove an entry.", "管理员在此所做的每项修改：谁、何时、改了什么，最新的在前。任何人都无法修改或删除记录。", "管理員在此所做的每項修改：誰、何時、改了什麼，最新的在前。任何人都無法修改或刪除紀錄。";
    NoAudit => "No changes yet.", "还没有修改记录。", "還沒有修改紀錄。";
    AuditDetail => "Changed to", "修改为", "修改為";
    Refresh => "Refresh", "刷新", "重新整理";
    AuditAgentAdded => "added the account", "添加了账号", "新增了帳號";
    AuditAgentRemoved => "removed the account", "删除了账号", "刪除了帳號";
    AuditPasswordSet => "set the password of", "设置了密码：", "設定了密碼：";
    AuditAgentEmailSet => "set the e-mail address of", "设置了电子邮箱：", "設定了電子郵件：";
    AuditDepartmentSaved => "saved the department", "保存了部门", "儲存了部門";
    AuditDepartmentRemoved => "removed the department", "删除了部门", "刪除了部門";
    AuditWebsiteSaved => "saved the website", "保存了网站", "儲存了網站";
    AuditWebsiteRemoved => "removed the website", "删除了网站", "刪除了網站";
    AuditRuleSaved => "saved the invitation rule", "保存了邀请规则", "儲存了邀請規則";
    AuditRuleRemoved => "removed the invitation rule", "删除了邀请规则", "刪除了邀請規則";
    AuditApiTokenAdded => "made the API token", "创建了 API 令牌", "建立了 API 權杖";
    AuditApiTokenRevoked => "revoked the API token", "吊销了 API 令牌", "撤銷了 API 權杖";
    AuditWebhookAdded => "registered the webhook", "注册了 Webhook", "註冊了 Webhook";
    AuditWebhookRemoved => "removed the webhook", "删除了 Webhook", "刪除了 Webhook";
    AuditWebhookRedelivered => "redelivered an event of the webhook", "重新投递了 Webhook 事件", "重新投遞了 Webhook 事件";
    AuditVisitorExported => "exported a visitor's data", "导出了访客的数据", "匯出了訪客的資料";
    AuditVisitorDeleted => "deleted a visitor's data", "删除了访客的数据", "刪除了訪客的資料";
    AuditRetentionSet => "set the retention period", "设置了保留期限", "設定了保留期限";
    Monday => "Monday", "星期一", "星期一";
    Tuesday => "Tuesday", "星期二", "星期二";
    Wednesday => "Wednesday", "星期三", "星期三";
    Thursday => "Thursday", "星期四", "星期四";
    Friday => "Friday", "星期五", "星期五";
    Saturday => "Saturday", "星期六", "星期六";
    Sunday => "Sunday", "星期日", "星期日";
    Reports => "Reports", "报表", "報表";
    ReportsHint => "Chats visitors started in the period, counted by day and hour in your time zone ({}).", "访客在所选时段内发起的对话，按你所在时区（{}）的日期和时段统计。", "訪客在所選時段內發起的對話，按你所在時區（{}）的日期和時段統計。";
    Last7Days => "Last 7 days", "最近 7 天", "最近 7 天";
    Last30Days => "Last 30 days", "最近 30 天", "最近 30 天";
    ShowReport => "Show", "查看", "查看";
    NoDepartment => "No department", "未分部门", "未分部門";
    RemovedAccount => "(removed)", "（已删除）", "（已刪除）";
    ChatsCount => "Chats", "对话", "對話";
    MissedChats => "Missed", "未接", "未接";
    FirstResponse => "Avg. first response", "平均首次响应", "平均首次回應";
    HandlingTime => "Avg. handling time", "平均处理时长", "平均處理時長";
    RatingsShare => "Rated good", "好评率", "好評率";
    RatingsCount => "{} good · {} bad", "{} 好评 · {} 差评", "{} 好評 · {} 差評";
    ChatsPerDay => "Chats per day", "每日对话数", "每日對話數";
    ChatsByHour => "Chats by hour of the day", "各时段的对话数", "各時段的對話數";
    ResponsePerDay => "Average first response per day", "每日平均首次响应时间", "每日平均首次回應時間";
    ByAgent => "By agent", "按客服", "按客服";
    ByDepartment => "By department", "按部门", "按部門";
    DownloadCsv => "Download CSV", "下载 CSV", "下載 CSV";
    CsvDays => "days", "每日", "每日";
    CsvHours => "hours", "时段", "時段";
    CsvAgents => "agents", "客服", "客服";
    CsvDepartments => "departments", "部门", "部門";
    NoChatsInPeriod => "No chats in this period.", "该时段内没有对话。", "該時段內沒有對話。";
    ReportLoading => "Working out the figures…", "正在统计…", "正在統計…";
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
