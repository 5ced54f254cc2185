//! The one translation table. Every string the widget and the console show goes
//! through [`t`]; strings that carry a value (a name, a count) use [`tf`] with `{}`.
//!
//! Language choice: `?lang=` on the page wins, otherwise the browser's preferred
//! languages (the `Accept-Language` header on the server, the same list in the
//! browser), otherwise English. The server writes the choice into `<html lang>` so
//! that hydration renders the same strings.

use crate::error::ErrorCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    ZhHans,
    ZhHant,
}

impl Lang {
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhHans => "zh-Hans",
            Lang::ZhHant => "zh-Hant",
        }
    }

    /// Reads one language tag (`zh-TW`, `zh-Hans-CN`, `en-GB`, ...).
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag == "en" || tag.starts_with("en-") {
            return Some(Lang::En);
        }
        if tag == "zh" || tag.starts_with("zh-") {
            let traditional = ["hant", "tw", "hk", "mo"]
                .iter()
                .any(|t| tag.split('-').skip(1).any(|part| part == *t));
            return Some(if traditional {
                Lang::ZhHant
            } else {
                Lang::ZhHans
            });
        }
        None
    }

    /// Picks from an `Accept-Language` header value, honouring `q` weights.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut weighted: Vec<(f32, &str)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some((q, tag))
            })
            .collect();
        weighted.sort_by(|a, b| b.0.total_cmp(&a.0));
        weighted
            .into_iter()
            .find_map(|(_, tag)| Lang::from_tag(tag))
    }

    /// `?lang=` first, then the preferred languages.
    pub fn choose(query_lang: Option<&str>, accept_language: Option<&str>) -> Lang {
        query_lang
            .and_then(Lang::from_tag)
            .or_else(|| accept_language.and_then(Lang::from_accept_language))
            .unwrap_or_default()
    }
}

/// A translation table: an enum of keys, the function that looks one up, and (for
/// tests) every key. The widget and the console share [`Key`]; strings only the
/// console shows live in a table of the console's own, so that the widget's code
/// does not carry them.
macro_rules! table {
    ($enum:ident, $lookup:ident, $all:ident; $($key:ident => $en:literal, $hans:literal, $hant:literal;)*) => {
        /// Every translatable string of this table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $enum { $($key,)* }

        /// The string for `key` in `lang`.
        pub fn $lookup(lang: $crate::i18n::Lang, key: $enum) -> &'static str {
            use $crate::i18n::Lang;
            match key {
                $($enum::$key => match lang {
                    Lang::En => $en,
                    Lang::ZhHans => $hans,
                    Lang::ZhHant => $hant,
                },)*
            }
        }

        #[cfg(test)]
        const $all: &[$enum] = &[$($enum::$key,)*];
    };
}
pub(crate) use table;

table! {
    Key, t, ALL_KEYS;
    ChatWithUs => "Chat with us", "与我们聊天", "與我們聊天";
    CloseChat => "Close chat", "关闭聊天", "關閉聊天";
    TypeMessage => "Type a message…", "输入消息…", "輸入訊息…";
    Send => "Send", "发送", "傳送";
    Sending => "Sending…", "发送中…", "傳送中…";
    Leave => "Leave", "离开", "離開";
    Mute => "Mute sound", "静音", "靜音";
    Unmute => "Unmute sound", "取消静音", "取消靜音";
    WaitingForAgent => "Waiting for an agent…", "正在等待客服…", "正在等待客服…";
    StartPrompt => "Hello! How can we help you?", "您好！有什么可以帮您？", "您好！有什麼可以幫您？";
    IsTyping => "{} is typing…", "{} 正在输入…", "{} 正在輸入…";
    Joined => "{} joined the conversation", "{} 加入了会话", "{} 加入了會話";
    LeftConv => "{} left the conversation", "{} 离开了会话", "{} 離開了會話";
    ConvClosed => "The conversation has ended", "会话已结束", "會話已結束";
    MessageDeleted => "A message was deleted at its author's request", "一条消息已应其作者要求删除", "一則訊息已應其作者要求刪除";
    RemovedVisitor => "A removed visitor", "已删除的访客", "已刪除的訪客";
    StartNewChat => "Start a new chat", "开始新的聊天", "開始新的聊天";
    ChooseDepartment => "Department", "部门", "部門";
    StartTheChat => "Start the chat", "开始聊天", "開始聊天";
    RateAsk => "How was this chat?", "这次聊天体验如何？", "這次聊天體驗如何？";
    RateGood => "Good", "满意", "滿意";
    RateBad => "Bad", "不满意", "不滿意";
    RateComment => "Anything to add? (optional)", "还有什么想说的吗？（选填）", "還有什麼想說的嗎？（選填）";
    RateSubmit => "Send rating", "提交评价", "提交評價";
    RateThanks => "Thank you for your feedback.", "感谢您的反馈。", "感謝您的回饋。";
    RatedGood => "{} rated this chat: good", "{} 评价本次聊天：满意", "{} 評價本次聊天：滿意";
    RatedBad => "{} rated this chat: bad", "{} 评价本次聊天：不满意", "{} 評價本次聊天：不滿意";
    Reconnecting => "Reconnecting…", "正在重新连接…", "正在重新連線…";
    OfflineTitle => "We are offline. Leave us a message and we will get back to you.",
        "我们暂时不在线。请留言，我们会尽快回复您。",
        "我們暫時不在線。請留言，我們會盡快回覆您。";
    YourName => "Your name", "您的姓名", "您的姓名";
    YourEmail => "Your email", "您的电子邮箱", "您的電子郵件";
    YourMessage => "Your message", "您的留言", "您的留言";
    SendMessage => "Send message", "提交留言", "提交留言";
    OfflineSent => "Thank you! We received your message.", "谢谢！我们已收到您的留言。", "謝謝！我們已收到您的留言。";
    You => "You", "您", "您";
    ConsoleTitle => "Agent console", "客服控制台", "客服控制台";
    Username => "Username", "用户名", "使用者名稱";
    Password => "Password", "密码", "密碼";
    LogIn => "Log in", "登录", "登入";
    LogOut => "Log out", "退出", "登出";
    StatusOnline => "Online", "在线", "線上";
    StatusAway => "Away", "离开", "離開";
    StatusOffline => "Offline", "离线", "離線";
    VisitorsNow => "Visitors on the site", "网站上的访客", "網站上的訪客";
    NoVisitors => "Nobody is on the site right now.", "目前网站上没有访客。", "目前網站上沒有訪客。";
    FindVisitors => "Find a visitor by name or page", "按姓名或页面查找访客", "按姓名或頁面查找訪客";
    NoVisitorMatches => "No visitor on the site matches.", "网站上没有符合的访客。", "網站上沒有符合的訪客。";
    VisitorsShown => "The newest {} of {}: search to find the others.", "显示最新的 {} 位，共 {} 位：搜索可找到其他访客。", "顯示最新的 {} 位，共 {} 位：搜尋可找到其他訪客。";
    Agents => "Agents", "客服", "客服";
    NoOtherAgents => "No other agents.", "没有其他客服。", "沒有其他客服。";
    Queue => "Waiting chats", "等待中的聊天", "等待中的聊天";
    QueueEmpty => "Nobody is waiting.", "没有等待的访客。", "沒有等待的訪客。";
    Accept => "Accept", "接受", "接受";
    InChat => "in a chat", "聊天中", "聊天中";
    Verified => "verified", "已验证", "已驗證";
    Integrations => "Integrations", "集成", "整合";
    IntegrationsHint => "Your own systems use the REST API with a token, and hear of what happens through webhooks. The reference:", "您自己的系统可凭令牌使用 REST API，并通过 Webhook 获知发生的事。参考文档：", "您自己的系統可憑權杖使用 REST API，並透過 Webhook 得知發生的事。參考文件：";
    ApiTokens => "API tokens", "API 令牌", "API 權杖";
    TokenName => "Name", "名称", "名稱";
    TokenMayWrite => "May also change things (write)", "也可更改内容（写入）", "也可變更內容（寫入）";
    MakeToken => "Make a token", "生成令牌", "產生權杖";
    TokenShownOnce => "Copy this token now: it is not shown again.", "请立即复制此令牌：它不会再次显示。", "請立即複製此權杖：它不會再次顯示。";
    ScopeRead => "read", "只读", "唯讀";
    ScopeWrite => "write", "读写", "讀寫";
    Revoked => "revoked", "已撤销", "已撤銷";
    Revoke => "Revoke", "撤销", "撤銷";
    NoTokens => "No tokens yet.", "还没有令牌。", "還沒有權杖。";
    Webhooks => "Webhooks", "Webhook", "Webhook";
    WebhookUrl => "Address (URL)", "地址（URL）", "網址（URL）";
    WebhookSecret => "Secret that signs each delivery (16 characters or more)", "为每次投递签名的密钥（至少 16 个字符）", "為每次投遞簽章的密鑰（至少 16 個字元）";
    WebhookEvents => "Events", "事件", "事件";
    AllowPrivate => "Allow an address on a private network", "允许私有网络中的地址", "允許私有網路中的位址";
    AddWebhook => "Add the endpoint", "添加端点", "新增端點";
    NoWebhooks => "No endpoints yet.", "还没有端点。", "還沒有端點。";
    Deliveries => "Deliveries", "投递记录", "投遞紀錄";
    NoDeliveries => "Nothing delivered yet.", "尚无投递。", "尚無投遞。";
    Delivered => "delivered", "已送达", "已送達";
    DeliveryPending => "pending", "待投递", "待投遞";
    DeliveryFailed => "failed", "失败", "失敗";
    Redeliver => "Send again", "重新发送", "重新傳送";
    NoAnswer => "no answer", "无响应", "無回應";
    VerifiedHint => "The website vouched for who this visitor is.", "网站已确认该访客的身份。", "網站已確認該訪客的身分。";
    VisitorEmail => "E-mail", "电子邮箱", "電子郵件";
    Unverified => "(not verified)", "（未验证）", "（未驗證）";
    PagesViewed => "pages viewed: {}", "浏览页面：{}", "瀏覽頁面：{}";
    OnSiteFor => "on site {}", "已停留 {}", "已停留 {}";
    CameFrom => "from {}", "来自 {}", "來自 {}";
    Direct => "direct", "直接", "直接";
    OfflineMessages => "Offline messages", "离线留言", "離線留言";
    NoOfflineMessages => "No messages.", "没有留言。", "沒有留言。";
    NoConversation => "Accept a chat from the queue to start.", "从等待队列中接受聊天即可开始。", "從等待佇列中接受聊天即可開始。";
    Connected => "Connected", "已连接", "已連線";
    ManageAgents => "Manage agents", "管理客服", "管理客服";
    AddAgent => "Add agent", "添加客服", "新增客服";
    DisplayName => "Display name", "显示名称", "顯示名稱";
    Role => "Role", "角色", "角色";
    RoleAdmin => "Admin", "管理员", "管理員";
    RoleAgent => "Agent", "客服", "客服";
    Remove => "Remove", "删除", "刪除";
    ConfirmRemove => "Click again to remove", "再次点击以删除", "再次點擊以刪除";
    NewPassword => "New password", "新密码", "新密碼";
    SetPassword => "Set password", "设置密码", "設定密碼";
    AgentAdded => "Agent added.", "已添加客服。", "已新增客服。";
    AgentRemoved => "Agent removed.", "已删除客服。", "已刪除客服。";
    PasswordChanged => "Password changed; that agent must log in again.", "密码已更改；该客服需要重新登录。", "密碼已變更；該客服需要重新登入。";
    ErrBadRequest => "The request was not understood.", "无法理解该请求。", "無法理解該請求。";
    ErrUnauthenticated => "Please log in again.", "请重新登录。", "請重新登入。";
    ErrInvalidLogin => "Wrong username or password.", "用户名或密码错误。", "使用者名稱或密碼錯誤。";
    ErrForbidden => "You may not do that.", "您无权执行此操作。", "您無權執行此操作。";
    ErrNotFound => "That conversation does not exist or you are not in it.", "该会话不存在或您不在其中。", "該會話不存在或您不在其中。";
    ErrAlreadyTaken => "Another agent took that chat first.", "另一位客服已先接受了该聊天。", "另一位客服已先接受了該聊天。";
    ErrConversationClosed => "The conversation has ended.", "会话已结束。", "會話已結束。";
    ErrEmptyMessage => "The message is empty.", "消息为空。", "訊息為空。";
    ErrTooLong => "That is too long.", "内容过长。", "內容過長。";
    ErrInvalidField => "Please check what you entered.", "请检查您输入的内容。", "請檢查您輸入的內容。";
    ErrIdConflict => "That message conflicts with an earlier one.", "该消息与先前的消息冲突。", "該訊息與先前的訊息衝突。";
    ErrInviteeUnavailable => "Someone you picked is no longer on the site or online.", "您选择的人已不在网站上或不在线。", "您選擇的人已不在網站上或不在線。";
    ErrInvitationClosed => "That invitation is no longer open.", "该邀请已失效。", "該邀請已失效。";
    Invited => "{} was invited", "已邀请 {}", "已邀請 {}";
    DeclinedNotice => "{} declined the invitation", "{} 拒绝了邀请", "{} 拒絕了邀請";
    ExpiredNotice => "{}'s invitation expired", "{} 的邀请已过期", "{} 的邀請已過期";
    OwnerChanged => "{} now owns the conversation", "{} 现在是会话的负责人", "{} 現在是會話的負責人";
    InvitesYou => "{} invites you to a conversation", "{} 邀请您加入会话", "{} 邀請您加入會話";
    Agree => "Agree", "同意", "同意";
    Decline => "Decline", "拒绝", "拒絕";
    InviteSelected => "Start conversation with selected", "与所选的人发起会话", "與所選的人發起會話";
    InviteToThis => "Invite selected here", "邀请所选的人加入此会话", "邀請所選的人加入此會話";
    Invitations => "Invitations", "邀请", "邀請";
    Save => "Save", "保存", "儲存";
    ChangeName => "Change the name others see", "修改他人看到的名字", "修改他人看到的名字";
    GroupConversation => "Group conversation", "多方会话", "多方會話";
    PendingInvited => " · invited: {}", " · 已邀请：{}", " · 已邀請：{}";
    ErrRateLimited => "Too fast; please slow down.", "操作过快，请稍后再试。", "操作過快，請稍後再試。";
    ErrUnavailable => "Temporarily unavailable; retrying.", "暂时不可用，正在重试。", "暫時無法使用，正在重試。";
    ErrInternal => "Something went wrong on our side.", "服务器出现问题。", "伺服器出現問題。";
    ErrInviteeUnavailableNamed => "No longer on the site or online: {}.", "已不在网站上或不在线：{}。", "已不在網站上或不在線：{}。";
    Dismiss => "Dismiss", "关闭", "關閉";
    JustNow => "just now", "刚刚", "剛剛";
    MinutesAgo => "{} min ago", "{} 分钟前", "{} 分鐘前";
    HoursAgo => "{} h ago", "{} 小时前", "{} 小時前";
    DefaultVisitorName => "Visitor {}", "访客 {}", "訪客 {}";
    Staff => "Staff", "客服", "客服";
    Note => "Note", "备注", "備註";
    InternalNote => "Internal note", "内部备注", "內部備註";
    NotePlaceholder => "Internal note: only agents see it", "内部备注：只有客服能看到", "內部備註：只有客服看得到";
    VisitorRole => "Visitor", "访客", "訪客";
    SupportTeam => "Customer support", "客户服务", "客戶服務";
    WeReplyQuickly => "We usually reply within minutes", "我们通常几分钟内回复", "我們通常幾分鐘內回覆";
    InQueue => "Waiting for an agent. You are number {} in the queue.", "正在等待客服，您排在第 {} 位。", "正在等待客服，您排在第 {} 位。";
    NoAgentsLeft => "No agent is available any more. Leave us a message with what you wrote and we will reply by email.",
        "目前没有客服在线。请留言（已填入您写的内容），我们会通过电子邮件回复您。",
        "目前沒有客服在線。請留言（已填入您寫的內容），我們會透過電子郵件回覆您。";
    MovedToGroup => "{} accepted an invitation to a group conversation and left this chat", "{} 接受了多方会话邀请，离开了此聊天", "{} 接受了多方會話邀請，離開了此聊天";
    InvitesYouWith => "{} invites you to a conversation with {}", "{} 邀请您加入与 {} 的会话", "{} 邀請您加入與 {} 的會話";
    EarlierConversation => "Earlier conversation", "之前的对话", "之前的對話";
    YouLeft => "You left this conversation.", "您已离开此会话。", "您已離開此會話。";
    YourNameIs => "Others see you as", "他人看到您的名字", "他人看到您的名字";
    NewMessages => "New messages", "新消息", "新訊息";
    Ended => "ended", "已结束", "已結束";
    CloseTab => "Close", "关闭", "關閉";
    Chats => "Chats", "聊天", "聊天";
    Conversations => "Conversations", "会话", "會話";
    NoConversations => "No open conversations.", "没有进行中的会话。", "沒有進行中的會話。";
    Details => "Details", "详情", "詳情";
    CurrentPage => "Current page", "当前页面", "目前頁面";
    LandingPage => "First page of the visit", "本次访问的首个页面", "本次訪問的首個頁面";
    Referrer => "Came from", "来源", "來源";
    NoReferrer => "Direct visit", "直接访问", "直接訪問";
    TimeOnSite => "Time on site", "停留时间", "停留時間";
    PagesViewedLabel => "Pages viewed", "浏览页面数", "瀏覽頁面數";
    Participants => "Participants", "参与者", "參與者";
    InvitedPending => "invited, no answer yet", "已邀请，尚未回复", "已邀請，尚未回覆";
    LeftSite => "has left the site", "已离开网站", "已離開網站";
    Owner => "owner", "负责人", "負責人";
    PickForDetails => "Open a conversation, or click a visitor, to see the details here.", "打开一个会话或点击一位访客，即可在此查看详情。", "打開一個會話或點擊一位訪客，即可在此查看詳情。";
    Handled => "Handled", "已处理", "已處理";
    MarkHandled => "Mark handled", "标记为已处理", "標記為已處理";
    MarkUnhandled => "Mark not handled", "标记为未处理", "標記為未處理";
    HandledBy => "Handled by {}, {}", "由 {} 处理，{}", "由 {} 處理，{}";
    ReplyByEmail => "Reply by email", "通过电子邮件回复", "透過電子郵件回覆";
    NotificationsEnable => "Turn on desktop notifications", "开启桌面通知", "開啟桌面通知";
    NotificationsOn => "Desktop notifications on", "桌面通知已开启", "桌面通知已開啟";
    NotificationsOff => "Desktop notifications off", "桌面通知已关闭", "桌面通知已關閉";
    NotificationsBlocked => "Notifications are blocked in this browser's settings", "此浏览器的设置已阻止通知", "此瀏覽器的設定已封鎖通知";
    NewChatWaiting => "New chat waiting: {}", "新的等待聊天：{}", "新的等待聊天：{}";
    NewMessageFrom => "New message from {}", "来自 {} 的新消息", "來自 {} 的新訊息";
    StartWithPicked => "Start a conversation with {} selected", "与所选的 {} 人发起会话", "與所選的 {} 人發起會話";
    ClearSelection => "Clear", "清除", "清除";
    Team => "Team", "团队", "團隊";
    Unhandled => "{} not handled", "{} 条未处理", "{} 則未處理";
    Pick => "Select for a conversation", "选择加入会话", "選擇加入會話";
    Message => "Message", "消息", "訊息";
    DurationSecs => "{}s", "{}秒", "{}秒";
    DurationMins => "{}m {}s", "{}分{}秒", "{}分{}秒";
    DurationHours => "{}h {}m", "{}小时{}分", "{}小時{}分";
    Chat => "Chat", "聊天", "聊天";
    Waiting => "waiting {}", "已等待 {}", "已等待 {}";
    Seen => "Seen", "已读", "已讀";
    Attach => "Send a file", "发送文件", "傳送檔案";
    AttachShort => "File", "文件", "檔案";
    Transcript => "Transcript", "聊天记录", "聊天紀錄";
    DownloadTranscript => "Download the transcript", "下载聊天记录", "下載聊天紀錄";
    OfflineMailTo => "Email offline messages to", "离线留言发送到邮箱", "離線留言寄到信箱";
    EmailSaved => "Email address saved.", "邮箱地址已保存。", "信箱地址已儲存。";
    EmailTranscript => "Email it to me", "发送到我的邮箱", "寄到我的信箱";
    TranscriptEmailed => "The transcript is on its way to {}.", "聊天记录已发送至 {}。", "聊天紀錄已寄至 {}。";
    SeenBy => "Seen by {}", "{} 已读", "{} 已讀";
    Transferred => "{} passed the conversation to {}, who answers from now on", "{} 已将会话转给 {}，由其继续为您服务", "{} 已將會話轉給 {}，由其繼續為您服務";
    Requeued => "{} passed the chat on; the next free agent will answer", "{} 已转交本次聊天，下一位空闲的客服将为您服务", "{} 已轉交本次聊天，下一位空閒的客服將為您服務";
}

/// `t` with each `{}` replaced, in order, by the next argument.
pub fn tf(lang: Lang, key: Key, args: &[&str]) -> String {
    fill(t(lang, key), args)
}

/// `template` with each `{}` replaced by the next of `args`.
pub fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut pieces = template.split("{}").peekable();
    while let Some(piece) = pieces.next() {
        out.push_str(piece);
        if pieces.peek().is_some() {
            out.push_str(args.next().copied().unwrap_or(""));
        }
    }
    out
}

/// The name to show for a participant. Visitors who have not chosen a name are
/// "Visitor" and four digits (the server's default, always in English on the
/// wire); every reader sees that in their own language.
pub fn shown_name(lang: Lang, name: &str) -> String {
    match default_name_digits(name) {
        Some(digits) => tf(lang, Key::DefaultVisitorName, &[digits]),
        // A visitor whose data was deleted keeps no name.
        None if name.is_empty() => t(lang, Key::RemovedVisitor).to_owned(),
        None => name.to_owned(),
    }
}

/// Whether `name` is a visitor's default name rather than one they chose.
pub fn is_default_name(name: &str) -> bool {
    default_name_digits(name).is_some()
}

fn default_name_digits(name: &str) -> Option<&str> {
    name.strip_prefix("Visitor ")
        .filter(|d| d.len() == 4 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// The translated text for an error code.
pub fn error_text(lang: Lang, code: ErrorCode) -> &'static str {
    let key = match code {
        ErrorCode::BadRequest => Key::ErrBadRequest,
        ErrorCode::Unauthenticated => Key::ErrUnauthenticated,
        ErrorCode::InvalidLogin => Key::ErrInvalidLogin,
        ErrorCode::Forbidden => Key::ErrForbidden,
        ErrorCode::NotFound => Key::ErrNotFound,
        ErrorCode::AlreadyTaken => Key::ErrAlreadyTaken,
        ErrorCode::ConversationClosed => Key::ErrConversationClosed,
        ErrorCode::EmptyMessage => Key::ErrEmptyMessage,
        ErrorCode::TooLong => Key::ErrTooLong,
        ErrorCode::InvalidField => Key::ErrInvalidField,
        ErrorCode::IdConflict => Key::ErrIdConflict,
        ErrorCode::InviteeUnavailable => Key::ErrInviteeUnavailable,
        ErrorCode::InvitationClosed => Key::ErrInvitationClosed,
        ErrorCode::RateLimited => Key::ErrRateLimited,
        ErrorCode::Unavailable => Key::ErrUnavailable,
        ErrorCode::Internal => Key::ErrInternal,
    };
    t(lang, key)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn query_parameter_overrides_browser_languages() {
        assert_eq!(Lang::choose(Some("zh-Hant"), Some("en-US")), Lang::ZhHant);
        assert_eq!(Lang::choose(Some("klingon"), Some("zh-CN")), Lang::ZhHans);
        assert_eq!(Lang::choose(None, None), Lang::En);
    }

    #[test]
    fn accept_language_honours_weights_and_regions() {
        assert_eq!(
            Lang::from_accept_language("fr;q=0.9, zh-TW;q=0.8, en;q=0.5"),
            Some(Lang::ZhHant)
        );
        assert_eq!(
            Lang::from_accept_language("en;q=0.2, zh;q=0.9"),
            Some(Lang::ZhHans)
        );
        assert_eq!(Lang::from_accept_language("de, fr"), None);
    }

    /// Every key of a table has a string in every language, with as many `{}`.
    pub(crate) fn check_table<K: Copy + std::fmt::Debug>(
        all: &[K],
        lookup: fn(Lang, K) -> &'static str,
    ) {
        for &key in all {
            for lang in [Lang::En, Lang::ZhHans, Lang::ZhHant] {
                assert!(!lookup(lang, key).trim().is_empty(), "{key:?} in {lang:?}");
            }
            let holes = lookup(Lang::En, key).matches("{}").count();
            assert_eq!(
                lookup(Lang::ZhHans, key).matches("{}").count(),
                holes,
                "{key:?}"
            );
            assert_eq!(
                lookup(Lang::ZhHant, key).matches("{}").count(),
                holes,
                "{key:?}"
            );
        }
    }

    #[test]
    fn every_key_is_translated_into_every_language() {
        check_table(ALL_KEYS, t);
    }

    #[test]
    fn default_visitor_names_are_shown_in_the_readers_language() {
        assert_eq!(shown_name(Lang::ZhHans, "Visitor 0427"), "访客 0427");
        assert_eq!(shown_name(Lang::ZhHant, "Visitor 0427"), "訪客 0427");
        assert_eq!(shown_name(Lang::En, "Visitor 0427"), "Visitor 0427");
        assert_eq!(shown_name(Lang::ZhHans, "Visitor 42"), "Visitor 42");
        assert_eq!(shown_name(Lang::ZhHans, "Ann"), "Ann");
    }

    #[test]
    fn placeholders_are_filled_in_order() {
        assert_eq!(
            tf(Lang::En, Key::Joined, &["Ann"]),
            "Ann joined the conversation"
        );
    }
}
