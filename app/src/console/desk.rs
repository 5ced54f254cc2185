//! The logged-in console: [`Desk`], the handle every panel reads and changes, and
//! the layout of its panels: the header ([`super::header`]), the inbox on the
//! left, the open conversation ([`super::conversation`]), the details and the
//! people on the site on the right; the offline messages and the team as views of
//! their own. What each server frame changes is in [`super::frames`].

use super::alerts::Alerts;
use super::history::{HistoryPanel, PastPick};
use super::{conversation, details, header, inbox, offline, people, View, ACTIVE_KEY};
use crate::admin::TeamPanel;
use crate::api::{
    canned_replies, departments, offline_messages, AgentView, ApiError, CannedReply, Department,
};
use crate::audit::AuditPanel;
use crate::browser;
use crate::chat_session::ChatSession;
use crate::components::ErrorToast;
use crate::conversations::ConvView;
use crate::departments::DepartmentsPanel;
use crate::i18n::{shown_name, t, Key, Lang};
use crate::ids::{AgentId, ConversationId, Participant, VisitorId};
use crate::integrations::IntegrationsPanel;
use crate::invitation_rules::InvitationRulesPanel;
use crate::privacy::PrivacyPanel;
use crate::protocol::{
    AgentInfo, AgentRole, AgentStatus, ClientMsg, ConversationKind, InvitationInfo, OfflineMessage,
    QueueItem, VisitorInfo, MAX_WATCHED_VISITORS,
};
use crate::time::Clock;
use crate::websites::WebsitesPanel;
use leptos::prelude::*;
use leptos_meta::Title;

/// The queue filter that shows the chats of this agent's departments (and those
/// offered to them). Department ids are lower-case, so it is none of them.
pub const MINE: &str = "MINE";

/// Everything the console's panels read and change, in one copyable handle.
#[derive(Clone, Copy)]
pub struct Desk {
    pub lang: Lang,
    pub me: AgentId,
    /// The logged-in agent's display name (for canned replies' `{agent}`).
    pub me_name: StoredValue<String>,
    pub admin: bool,
    /// The team's canned replies and this agent's own.
    pub canned: RwSignal<Vec<CannedReply>>,
    pub session: ChatSession,
    /// The visitors this console lists (a bounded page, `chat::visitor_lists` on
    /// the server), and the ones it follows: those of its conversations, those
    /// picked or selected.
    pub visitors: RwSignal<Vec<VisitorInfo>>,
    /// Everyone on the site, and those of them matching `visitor_filter`.
    pub visitor_counts: RwSignal<(u32, u32)>,
    /// What the agent typed to find visitors (name, page address or title).
    pub visitor_filter: RwSignal<String>,
    /// How many times the server welcomed this console (once per connection).
    pub welcomes: RwSignal<u32>,
    pub agents: RwSignal<Vec<AgentInfo>>,
    pub queue: RwSignal<Vec<QueueItem>>,
    /// The company's departments, and whose chats the queue shows: every
    /// department's (empty), this agent's departments' (`MINE`), or one's.
    pub departments: RwSignal<Vec<Department>>,
    pub queue_department: RwSignal<String>,
    /// The company's websites: the visitor list names each visitor's.
    pub websites: RwSignal<Vec<crate::api::Website>>,
    pub offline: RwSignal<Vec<OfflineMessage>>,
    pub invitations: RwSignal<Vec<InvitationInfo>>,
    pub status: RwSignal<AgentStatus>,
    /// The open conversation.
    pub active: RwSignal<Option<ConversationId>>,
    /// Opened as soon as the server confirms it (a chat just accepted).
    pub focus_next: RwSignal<Option<ConversationId>>,
    /// The agent's own action opened a conversation: its compose box takes focus.
    pub focus_composer: RwSignal<bool>,
    /// A visitor clicked in the list, for the details panel.
    pub selected_visitor: RwSignal<Option<VisitorId>>,
    /// Who is picked for a multi-party conversation request.
    pub picked_visitors: RwSignal<Vec<VisitorId>>,
    pub picked_agents: RwSignal<Vec<AgentId>>,
    pub error: RwSignal<Option<ApiError>>,
    pub connected: RwSignal<bool>,
    pub view: RwSignal<View>,
    /// The past conversation read in the history view.
    pub past: RwSignal<Option<PastPick>>,
    pub clock: Clock,
    pub alerts: Alerts,
}

impl Desk {
    pub fn send(&self, msg: ClientMsg) -> bool {
        self.session.send(msg)
    }

    pub fn open(&self, id: Option<ConversationId>) {
        self.active.set(id);
        if let Some(id) = id {
            self.session.store.mark_read(id);
            browser::session_set(ACTIVE_KEY, &id.to_string());
            self.view.set(View::Chats);
        }
    }

    /// The name to show for a participant: a visitor on the site by the name they
    /// have now.
    pub fn name_of(&self, participant: Participant, stored: &str) -> String {
        let live = match participant {
            Participant::Visitor(id) => self.live_visitor(id).map(|v| v.name),
            Participant::Agent(_) => None,
        };
        shown_name(self.lang, live.as_deref().unwrap_or(stored))
    }

    /// Whether this agent is no longer in the conversation (left, or it closed).
    pub fn has_ended(&self, c: &ConvView) -> bool {
        c.is_closed() || !c.has_member(Some(Participant::Agent(self.me)))
    }

    /// What a conversation is called here: the others in it, else whom it waits
    /// for, else who was in it.
    pub fn label(&self, c: &ConvView) -> String {
        let me = Participant::Agent(self.me);
        let mut others: Vec<String> = c
            .summary
            .participants
            .iter()
            .filter(|p| p.participant != me)
            .map(|p| self.name_of(p.participant, &p.name))
            .chain(
                c.summary
                    .invitations
                    .iter()
                    .map(|i| self.name_of(i.invitee, &i.invitee_name)),
            )
            .collect();
        if others.is_empty() {
            others = c
                .known
                .iter()
                .filter(|p| p.participant != me)
                .map(|p| self.name_of(p.participant, &p.name))
                .collect();
        }
        match (others.is_empty(), c.summary.kind) {
            (false, _) => others.join(", "),
            (true, ConversationKind::Group) => t(self.lang, Key::GroupConversation).to_owned(),
            (true, ConversationKind::Direct) => t(self.lang, Key::Chat).to_owned(),
        }
    }

    /// The visitor as this console last heard of them, if it lists them.
    pub fn live_visitor(&self, id: VisitorId) -> Option<VisitorInfo> {
        self.visitors
            .with(|list| list.iter().find(|v| v.id == id).cloned())
    }

    /// Tells the server which visitors to list, after every welcome (a new
    /// connection starts from the default) and whenever the filter or the
    /// visitors to follow change.
    fn keep_visitor_view(self) {
        let watch = Memo::new(move |_| {
            let mut ids: Vec<VisitorId> = self.picked_visitors.get();
            ids.extend(self.selected_visitor.get());
            self.session.store.with(|all| {
                for view in all.views().iter().filter(|v| !v.is_closed()) {
                    ids.extend(view.known.iter().filter_map(|p| match p.participant {
                        Participant::Visitor(id) => Some(id),
                        Participant::Agent(_) => None,
                    }));
                }
            });
            ids.sort_unstable();
            ids.dedup();
            ids.truncate(MAX_WATCHED_VISITORS);
            ids
        });
        Effect::new(move |_| {
            let filter = self.visitor_filter.get();
            let watch = watch.get();
            if self.welcomes.get() > 0 {
                self.send(ClientMsg::ViewVisitors { filter, watch });
            }
        });
    }

    /// Whether the queue, as filtered now, shows `item`.
    pub fn queue_shows(&self, item: &QueueItem) -> bool {
        self.queue_department.with(|filter| match filter.as_str() {
            "" => true,
            MINE => {
                item.offered_to == Some(self.me)
                    || self.departments.with(|all| {
                        all.iter()
                            .any(|d| d.id == item.department && d.agents.contains(&self.me))
                    })
            }
            one => item.department == one,
        })
    }

    /// The name of the company's department of this id, if it has one.
    pub fn department_name(&self, id: &str) -> Option<String> {
        self.departments
            .with(|all| all.iter().find(|d| d.id == id).map(|d| d.name.clone()))
    }

    /// The name of the website a page is on, when the company has several.
    pub fn website_name(&self, page_url: &str) -> Option<String> {
        self.websites.with(|all| {
            (all.len() > 1)
                .then(|| crate::api::website_at(all, page_url))
                .flatten()
                .map(|w| w.name.clone())
        })
    }

    pub fn nothing_picked(&self) -> bool {
        self.picked_visitors.with(Vec::is_empty) && self.picked_agents.with(Vec::is_empty)
    }

    fn new(lang: Lang, agent: &AgentView) -> Self {
        let me = agent.id;
        Desk {
            lang,
            me,
            me_name: StoredValue::new(agent.name.clone()),
            admin: agent.role == AgentRole::Admin,
            canned: RwSignal::new(Vec::new()),
            session: ChatSession::new(Some(Participant::Agent(me))),
            visitors: RwSignal::new(Vec::new()),
            visitor_counts: RwSignal::new((0, 0)),
            visitor_filter: RwSignal::new(String::new()),
            welcomes: RwSignal::new(0),
            agents: RwSignal::new(Vec::new()),
            queue: RwSignal::new(Vec::new()),
            departments: RwSignal::new(Vec::new()),
            websites: RwSignal::new(Vec::new()),
            queue_department: RwSignal::new(String::new()),
            offline: RwSignal::new(Vec::new()),
            invitations: RwSignal::new(Vec::new()),
            status: RwSignal::new(AgentStatus::Online),
            active: RwSignal::new(None),
            focus_next: RwSignal::new(None),
            focus_composer: RwSignal::new(false),
            selected_visitor: RwSignal::new(None),
            picked_visitors: RwSignal::new(Vec::new()),
            picked_agents: RwSignal::new(Vec::new()),
            error: RwSignal::new(None),
            connected: RwSignal::new(false),
            view: RwSignal::new(View::Chats),
            past: RwSignal::new(None),
            clock: Clock::start(),
            alerts: Alerts::new(),
        }
    }

    /// Connects, and starts what runs in the browser beside it.
    fn start(self) {
        self.session.connect(
            "/ws/agent",
            || ClientMsg::Hello {
                token: None,
                page: None,
                identity: None,
            },
            move |msg, applied| self.on_server_msg(msg, applied),
            move |up| self.connected.set(up),
        );
        self.alerts.start();
        self.keep_visitor_view();
        // What happened while the tab was hidden counts as unread until looked at.
        browser::on_visibility_change(move || {
            if !browser::page_hidden() && self.view.get_untracked() == View::Chats {
                if let Some(id) = self.active.get_untracked() {
                    self.session.store.mark_read(id);
                    self.session.tell_seen(id);
                }
            }
        });
        // Back to the conversations: the open one is seen now.
        Effect::new(move |_| {
            if self.view.get() == View::Chats {
                if let Some(id) = self.active.get_untracked() {
                    self.session.tell_seen(id);
                }
            }
        });
        leptos::task::spawn_local(async move {
            if let Ok(list) = offline_messages().await {
                self.offline.set(list);
            }
            if let Ok(list) = canned_replies().await {
                self.canned.set(list);
            }
            if let Ok(list) = departments().await {
                self.departments.set(list);
            }
            // Unless the websites panel (an admin's) read them meanwhile.
            if let Ok(list) = crate::api::websites().await {
                if self.websites.with_untracked(Vec::is_empty) {
                    self.websites.set(list);
                }
            }
        });
    }
}

#[component]
pub fn Desk(
    lang: Lang,
    agent: AgentView,
    changed: RwSignal<Option<Option<AgentView>>>,
) -> impl IntoView {
    let desk = Desk::new(lang, &agent);
    provide_context(desk.clock);
    provide_context(crate::files::FileLinks::direct());
    let my_id = agent.id;
    let is_admin = agent.role == AgentRole::Admin;
    Effect::new(move |_| desk.start());

    // Each part is type-erased: one nested view type for the whole desk is too deep
    // for the compiler.
    let chats = view! {
        <div class="desk" hidden=move || desk.view.get() != View::Chats>
            <inbox::Inbox desk/>
            <conversation::ConversationPane desk/>
            {view! {
                <aside class="side">
                    <details::Details desk/>
                    <people::People desk/>
                </aside>
            }
            .into_any()}
        </div>
    }
    .into_any();

    let views = view! {
        <Show when=move || desk.view.get() == View::History>
            <HistoryPanel desk/>
        </Show>
        <Show when=move || desk.view.get() == View::Offline>
            <offline::OfflineMessages desk/>
        </Show>
        <Show when=move || is_admin && desk.view.get() == View::Reports>
            <super::reports::ReportsPanel desk/>
        </Show>
        <Show when=move || is_admin && desk.view.get() == View::Team>
            <div class="team-views">
                <TeamPanel lang me=my_id/>
                <DepartmentsPanel lang departments=desk.departments/>
                <WebsitesPanel lang list=desk.websites/>
                <InvitationRulesPanel lang departments=desk.departments/>
                <IntegrationsPanel lang/>
                <PrivacyPanel lang/>
                <AuditPanel lang/>
            </div>
        </Show>
    }
    .into_any();

    view! {
        <Title text=move || desk.alerts.title(lang, &desk)/>
        <header::Header desk agent changed/>
        <ErrorToast lang error=desk.error/>
        {chats}
        {views}
    }
    .into_any()
}
