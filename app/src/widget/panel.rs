//! The open chat window of the widget: its header (who is answering), the
//! visitor's name, and what the panel shows (the conversation, an invitation, the
//! place in the queue, the leave-a-message form). A chunk of code of its own,
//! fetched the first time the visitor opens the chat.

use super::{OfflineForm, TranscriptMail, WidgetState, MUTED_KEY};
use crate::browser;
use crate::chat_store::ChatStore;
use crate::components::ChatWindow;
use crate::components::{icon, ErrorToast, InvitationCard, ICON_CLOSE, ICON_MUTED, ICON_SOUND};
use crate::conversations::ConvView;
use crate::i18n::{is_default_name, shown_name, t, tf, Key, Lang};
use crate::ids::{ConversationId, InvitationId, Participant};
use crate::protocol::{Body, ClientMsg, ConversationKind};
use leptos::prelude::*;

/// The open window, built from the widget's state.
#[lazy]
pub fn panel(state: WidgetState) -> AnyView {
    let WidgetState {
        lang,
        session,
        muted,
        connected,
        agents_available,
        away_message,
        error,
        offline,
        invitations,
        my_name,
        editing_name,
        scroll,
        earlier,
        current: current_info,
        pre_chat_done,
        ..
    } = state;
    let current = Memo::new(move |_| state.current_id());
    let current_kind = Memo::new(move |_| {
        current_info.with(|c| c.as_ref().map_or(ConversationKind::Direct, |c| c.kind))
    });
    let current_ended = Memo::new(move |_| state.current_ended());
    let queue = Memo::new(move |_| state.queue());
    let store = session.store;
    let send_frame = move |msg: ClientMsg| state.send(msg);

    let on_send = Callback::new(move |text: String| {
        let conversation_id = if current_ended.get_untracked() {
            None
        } else {
            current.get_untracked()
        };
        session.send_text(conversation_id, text);
    });
    let on_typing = Callback::new(move |typing: bool| {
        if let (Some(conversation_id), false) =
            (current.get_untracked(), current_ended.get_untracked())
        {
            send_frame(ClientMsg::Typing {
                conversation_id,
                typing,
            });
        }
    });
    let on_leave = Callback::new(move |()| {
        if let Some(conversation_id) = current.get_untracked() {
            send_frame(ClientMsg::Leave { conversation_id });
        }
    });
    let start_new = move |_| {
        let done: Vec<_> = store.with_untracked(|state| {
            let ended = |c: &ConvView| c.is_closed() || !c.has_member(state.me());
            state
                .views()
                .iter()
                .filter(|c| c.earlier || ended(c))
                .map(|c| c.summary.id)
                .collect()
        });
        for id in done {
            store.remove(id);
        }
        state.transcript_mail.set(TranscriptMail::Idle);
        offline.set(OfflineForm::Editing);
    };
    let answer = move |invitation_id: InvitationId, accept: bool| {
        let invitation =
            invitations.with_untracked(|list| list.iter().find(|i| i.id == invitation_id).cloned());
        invitations.update(|list| list.retain(|i| i.id != invitation_id));
        if let (true, Some(invitation)) = (accept, invitation) {
            // Agreeing from a one-to-one chat: its history stays above the group's.
            let from_direct = current_info.with_untracked(|c| {
                c.as_ref()
                    .filter(|c| c.kind == ConversationKind::Direct && !c.ended)
                    .map(|c| c.id)
            });
            if let Some(direct) = from_direct {
                earlier.update(|m| {
                    m.insert(invitation.conversation_id, direct);
                });
            }
        }
        send_frame(if accept {
            ClientMsg::AcceptInvitation { invitation_id }
        } else {
            ClientMsg::DeclineInvitation { invitation_id }
        });
    };
    let toggle_mute = move |_| {
        muted.update(|m| *m = !*m);
        browser::storage_set(MUTED_KEY, if muted.get_untracked() { "1" } else { "0" });
    };
    // What the visitor wrote while waiting, for the leave-a-message form.
    let written = move || {
        let id = current.get_untracked();
        store.with_untracked(|state| {
            let me = state.me();
            let stored = state
                .views()
                .iter()
                .filter(|c| Some(c.summary.id) == id)
                .flat_map(|c| c.messages.values())
                .filter(|m| m.author.as_ref().map(|a| a.participant) == me)
                .filter_map(|m| match &m.body {
                    Body::Text { text } => Some(text.clone()),
                    Body::Notice(_) => None,
                });
            let pending = state
                .pending()
                .iter()
                .filter(|m| m.conversation_id == id || m.conversation_id.is_none())
                .map(|m| m.text.clone());
            stored.chain(pending).collect::<Vec<_>>().join("\n\n")
        })
    };

    // What the panel shows. Only a change of this re-renders the panel's body, so
    // that the compose box keeps what is being typed while the rest changes.
    let mode = Memo::new(move |_| {
        let inviting = invitations.with(|list| !list.is_empty());
        let in_chat = current.get().is_some() && !current_ended.get();
        if offline.get() == OfflineForm::Sent {
            Mode::Sent
        } else if inviting && !in_chat {
            // Not chatting: the invitation pops up on the page.
            Mode::Invitation
        } else if queue.get().is_some() && !agents_available.get() {
            // Waiting, and the last agent has gone: leave a message instead.
            Mode::WaitingAlone
        } else if current.get().is_none() && agents_available.get() && !pre_chat_done.get() {
            // The website's pre-chat form comes before the first message.
            Mode::PreChat
        } else if current.get().is_some() || agents_available.get() {
            Mode::Chat
        } else {
            Mode::Offline
        }
    });
    let first_invitation = move || invitations.with(|list| list.first().cloned());
    // Above the form: the department's away message, when it has one.
    let intro = move |otherwise: Key| {
        let away = away_message.get_untracked();
        if away.is_empty() {
            t(lang, otherwise).to_owned()
        } else {
            away
        }
    };

    let body = move || {
        match mode.get() {
        Mode::Sent => view! {
            <p class="offline-sent" data-testid="offline-sent" role="status">{t(lang, Key::OfflineSent)}</p>
        }
        .into_any(),
        Mode::Invitation => (move || {
            first_invitation().map(|invitation| view! { <InvitationCard lang invitation answer/> })
        })
        .into_any(),
        Mode::WaitingAlone => {
            let name = my_name.get_untracked();
            let name = if is_default_name(&name) { String::new() } else { name };
            view! {
                <OfflineMessageForm lang send_frame intro=intro(Key::NoAgentsLeft) name text=written()/>
            }
            .into_any()
        }
        Mode::PreChat => match state.look.with_value(|l| l.pre_chat.clone()) {
            Some(asks) => view! {
                <PreChatForm lang asks send_frame name=my_name.get_untracked() done=pre_chat_done/>
            }
            .into_any(),
            None => ().into_any(),
        },
        Mode::Chat => {
            // Above the first message: the website's greeting, else ours.
            let greeting = state.look.with_value(|l| l.greeting.clone());
            let greeting = if greeting.is_empty() {
                t(lang, Key::StartPrompt).to_owned()
            } else {
                greeting
            };
            // In a 1:1 chat: the invitation shows inside the chat window.
            let inside: ChildrenFn = std::sync::Arc::new(move || {
                (move || {
                    first_invitation()
                        .map(|invitation| view! { <InvitationCard lang invitation answer/> })
                })
                .into_any()
            });
            let status: ChildrenFn = std::sync::Arc::new(move || {
                view! {
                    {move || queue.get().map(|place| view! {
                        <p class="queue-status" data-testid="queue-status" role="status">
                            {match place {
                                Some(place) => tf(lang, Key::InQueue, &[&place.to_string()]),
                                None => t(lang, Key::WaitingForAgent).to_owned(),
                            }}
                        </p>
                    })}
                    <Show when=move || current_ended.get()>
                        <div class="ended-bar" data-testid="conversation-ended">
                            <p>{move || {
                                let closed = current_info.with(|c| c.as_ref().is_some_and(|c| c.closed));
                                t(lang, if closed { Key::ConvClosed } else { Key::YouLeft })
                            }}</p>
                            {move || current.get().map(|conversation_id| view! {
                                <RatingForm lang conversation_id store send_frame/>
                                <button type="button" class="transcript" data-testid="transcript-download"
                                    on:click=move |_| {
                                        send_frame(ClientMsg::Transcript {
                                            conversation_id,
                                            lang: Some(lang.tag().to_owned()),
                                        });
                                    }>
                                    {t(lang, Key::DownloadTranscript)}
                                </button>
                                <TranscriptMailForm lang conversation_id state/>
                            }.into_any())}
                            <button type="button" class="start-new" data-testid="start-new-chat" on:click=start_new>
                                {t(lang, Key::StartNewChat)}
                            </button>
                        </div>
                    </Show>
                }
                .into_any()
            });
            view! {
                <ChatWindow
                    store
                    lang
                    scroll
                    conversation_id=Signal::derive(move || current.get())
                    kind=Signal::derive(move || current_kind.get())
                    ended=Signal::derive(move || current_ended.get())
                    earlier=Signal::derive(move || current.get().and_then(|id| earlier.of(id)))
                    on_send
                    on_typing
                    on_leave
                    intro=greeting
                    roster=true
                    focus=state.focus_request
                    status
                    children=inside
                    tell_seen=Callback::new(move |id| session.tell_seen(id))
                    on_attach=Callback::new(move |ev| {
                        let Some(conversation_id) = current.get_untracked() else {
                            return;
                        };
                        leptos::task::spawn_local(async move {
                            let token = Some(super::visitor_token());
                            if let Err(code) = crate::files::send_picked(ev, conversation_id, token).await {
                                error.set(Some(code.into()));
                            }
                        });
                    })
                />
            }
            .into_any()
        }
        Mode::Offline => view! {
            <OfflineMessageForm lang send_frame intro=intro(Key::OfflineTitle) name=String::new() text=String::new()/>
        }
        .into_any(),
    }
    };

    // Who is answering: the agents in the conversation, by name and picture
    // (unless the website's settings keep them to "Support team").
    let hide_agents = state.look.with_value(|l| l.hide_agents);
    let answering = move || {
        current_info.with(|c| {
            c.as_ref()
                .filter(|c| !c.ended && !hide_agents && !c.agents.is_empty())
                .map(|c| c.agents.clone())
        })
    };
    let header = move || {
        let agents = answering();
        let names = agents.as_ref().map(|agents| {
            agents
                .iter()
                .map(|(_, name)| name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        });
        let title = match (&names, current_kind.get(), current_ended.get()) {
            (_, ConversationKind::Group, false) if current.get().is_some() => {
                t(lang, Key::GroupConversation).to_owned()
            }
            (Some(names), _, _) => names.clone(),
            (None, _, _) => t(lang, Key::ChatWithUs).to_owned(),
        };
        let subtitle = match (&names, agents_available.get()) {
            (Some(_), _) => t(lang, Key::SupportTeam),
            (None, true) => t(lang, Key::WeReplyQuickly),
            (None, false) => t(lang, Key::SupportTeam),
        };
        // The picture of whoever answers (the first agent of a group), else the
        // title's first letter.
        let avatar = match agents.as_ref().and_then(|agents| agents.first()) {
            Some((id, _)) => view! {
                <img class="avatar" data-testid="widget-avatar" src=format!("/avatars/{id}") alt=""/>
            }
            .into_any(),
            None => {
                let initial = title.chars().next().map(String::from).unwrap_or_default();
                view! { <span class="avatar" aria-hidden="true">{initial}</span> }.into_any()
            }
        };
        view! {
            {avatar}
            <span class="who">
                <span class="title" data-testid="widget-title" data-answering=names.is_some().to_string()>{title}</span>
                <span class="subtitle">{subtitle}</span>
            </span>
        }
    };

    // Opened by the visitor on something other than a conversation (an invitation,
    // the form): its first control takes the focus. (The chat window focuses its
    // own compose box.)
    let panel_ref: NodeRef<leptos::html::Div> = NodeRef::new();
    Effect::new(move |_| {
        let wanted = state.focus_request.get() && mode.get() != Mode::Chat;
        if let (true, Some(panel)) = (wanted, panel_ref.get()) {
            if let Ok(Some(first)) = panel.query_selector("[data-autofocus]") {
                state.focus_request.set(false);
                if let Ok(first) =
                    leptos::wasm_bindgen::JsCast::dyn_into::<leptos::web_sys::HtmlElement>(first)
                {
                    let _ = first.focus();
                }
            }
        }
    });

    view! {
        <div class="widget-panel" role="dialog" aria-label=t(lang, Key::ChatWithUs) node_ref=panel_ref
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    ev.prevent_default();
                    state.toggle_by_visitor(false);
                }
            }>
            <header class="widget-header">
                {header}
                <button
                    type="button"
                    class="icon"
                    data-testid="mute-toggle"
                    aria-pressed=move || muted.get().to_string()
                    title=move || t(lang, if muted.get() { Key::Unmute } else { Key::Mute })
                    aria-label=move || t(lang, if muted.get() { Key::Unmute } else { Key::Mute })
                    on:click=toggle_mute
                >
                    {move || if muted.get() { icon(ICON_MUTED) } else { icon(ICON_SOUND) }}
                </button>
                <button type="button" class="icon" data-testid="widget-close"
                    title=t(lang, Key::CloseChat) aria-label=t(lang, Key::CloseChat)
                    on:click=move |_| state.toggle_by_visitor(false)>
                    {icon(ICON_CLOSE)}
                </button>
            </header>
            <NameEditor lang my_name editing_name send_frame/>
            <Show when=move || !connected.get()>
                <p class="banner" data-testid="reconnecting" role="status">{t(lang, Key::Reconnecting)}</p>
            </Show>
            <ErrorToast lang error/>
            {body}
        </div>
    }
    .into_any()
}

/// What the widget's panel is showing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// The leave-a-message form was sent.
    Sent,
    /// An invitation pops up (the visitor is not chatting).
    Invitation,
    /// The chat waits in the queue and no agent is left: the form, with what the
    /// visitor wrote.
    WaitingAlone,
    /// The chat window (with an invitation inside it, if one came).
    Chat,
    /// Nobody online and no chat: the form.
    Offline,
    /// No chat yet, and the website asks who the visitor is first.
    PreChat,
}

#[component]
fn OfflineMessageForm(
    lang: Lang,
    send_frame: impl Fn(ClientMsg) -> bool + Copy + Send + Sync + 'static,
    /// The sentence above the form.
    intro: String,
    /// What the fields start with (what the visitor already wrote).
    name: String,
    text: String,
) -> impl IntoView {
    let name = RwSignal::new(name);
    let email = RwSignal::new(String::new());
    let text = RwSignal::new(text);
    view! {
        <form
            class="offline-form"
            data-testid="offline-form"
            on:submit=move |ev| {
                ev.prevent_default();
                send_frame(ClientMsg::LeaveMessage {
                    name: name.get_untracked(),
                    email: email.get_untracked(),
                    text: text.get_untracked(),
                });
            }
        >
            <p class="intro" data-testid="offline-intro">{intro}</p>
            <label>
                {t(lang, Key::YourName)}
                <input data-testid="offline-name" data-autofocus required maxlength="80" autocomplete="name"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))/>
            </label>
            <label>
                {t(lang, Key::YourEmail)}
                <input data-testid="offline-email" type="email" required maxlength="254" autocomplete="email"
                    prop:value=move || email.get()
                    on:input=move |ev| email.set(event_target_value(&ev))/>
            </label>
            <label>
                {t(lang, Key::YourMessage)}
                <textarea data-testid="offline-message" required maxlength="4000" rows="4"
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            </label>
            <button type="submit" data-testid="offline-submit">{t(lang, Key::SendMessage)}</button>
        </form>
    }
}

/// The website's pre-chat form: what it asks (each field required), then the
/// chat window, where the first message is written.
#[component]
fn PreChatForm(
    lang: Lang,
    asks: super::PreChatLook,
    send_frame: impl Fn(ClientMsg) -> bool + Copy + Send + Sync + 'static,
    /// What the visitor is called now (a default name starts the field empty).
    name: String,
    done: RwSignal<bool>,
) -> impl IntoView {
    let name = RwSignal::new(if is_default_name(&name) {
        String::new()
    } else {
        name
    });
    let email = RwSignal::new(String::new());
    let department = RwSignal::new(String::new());
    let consent = RwSignal::new(false);
    let super::PreChatLook {
        name: ask_name,
        email: ask_email,
        departments,
        consent: consent_text,
    } = asks;
    let field = |asked: bool, view: AnyView| asked.then_some(view);
    view! {
        <form
            class="offline-form pre-chat-form"
            data-testid="pre-chat-form"
            on:submit=move |ev| {
                ev.prevent_default();
                if send_frame(ClientMsg::PreChat {
                    name: name.get_untracked().trim().to_owned(),
                    email: email.get_untracked().trim().to_owned(),
                    department: department.get_untracked(),
                    consent: consent.get_untracked(),
                }) {
                    done.set(true);
                }
            }
        >
            {field(ask_name, view! {
                <label>
                    {t(lang, Key::YourName)}
                    <input data-testid="pre-chat-name" data-autofocus required maxlength="80" autocomplete="name"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))/>
                </label>
            }.into_any())}
            {field(ask_email, view! {
                <label>
                    {t(lang, Key::YourEmail)}
                    <input data-testid="pre-chat-email" type="email" required maxlength="254" autocomplete="email"
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))/>
                </label>
            }.into_any())}
            {field(!departments.is_empty(), view! {
                <label>
                    {t(lang, Key::ChooseDepartment)}
                    <select data-testid="pre-chat-department" required
                        on:change=move |ev| department.set(event_target_value(&ev))>
                        <option value="" selected=true disabled=true></option>
                        {departments.into_iter().map(|(id, shown)| view! {
                            <option value=id>{shown}</option>
                        }).collect_view()}
                    </select>
                </label>
            }.into_any())}
            {field(!consent_text.is_empty(), view! {
                <label class="consent">
                    <input type="checkbox" data-testid="pre-chat-consent" required
                        prop:checked=move || consent.get()
                        on:change=move |ev| consent.set(event_target_checked(&ev))/>
                    <span>{consent_text}</span>
                </label>
            }.into_any())}
            <button type="submit" data-testid="pre-chat-submit">{t(lang, Key::StartTheChat)}</button>
        </form>
    }
}

/// The name other participants see: shown under the header, editable.
#[component]
fn NameEditor(
    lang: Lang,
    my_name: RwSignal<String>,
    editing_name: RwSignal<bool>,
    send_frame: impl Fn(ClientMsg) -> bool + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let draft: NodeRef<leptos::html::Input> = NodeRef::new();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(input) = draft.get_untracked() {
            send_frame(ClientMsg::SetName {
                name: input.value().trim().to_owned(),
            });
        }
    };
    view! {
        <Show
            when=move || editing_name.get()
            fallback=move || view! {
                <p class="my-name-line" hidden=move || my_name.with(String::is_empty)>
                    {t(lang, Key::YourNameIs)}": "
                    <button type="button" class="my-name" data-testid="my-name" title=t(lang, Key::ChangeName)
                        on:click=move |_| editing_name.set(true)>
                        {move || shown_name(lang, &my_name.get())}
                    </button>
                </p>
            }
        >
            <form class="name-form" data-testid="name-form" on:submit=save>
                <input data-testid="name-input" maxlength="80" required aria-label=t(lang, Key::YourName)
                    node_ref=draft prop:value=move || shown_name(lang, &my_name.get_untracked())/>
                <button type="submit" data-testid="name-save">{t(lang, Key::Save)}</button>
            </form>
        </Show>
    }
}

/// Asked when a chat ends: was it good or bad, and anything to add. Once the
/// server has kept the rating, a thank-you instead.
#[component]
fn RatingForm(
    lang: Lang,
    conversation_id: ConversationId,
    store: ChatStore,
    send_frame: impl Fn(ClientMsg) -> bool + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let good = RwSignal::new(None::<bool>);
    let comment = RwSignal::new(String::new());
    let rated = move || {
        let me = store.me();
        store.with(|state| {
            state.get(conversation_id).is_some_and(|view| {
                view.ratings
                    .iter()
                    .any(|r| Some(Participant::Visitor(r.visitor_id)) == me)
            })
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(good) = good.get_untracked() {
            send_frame(ClientMsg::Rate {
                conversation_id,
                good,
                comment: comment.get_untracked().trim().to_owned(),
            });
        }
    };
    let choice = move |value: bool, testid: &'static str, key: Key| {
        view! {
            <button type="button" class="rating-choice" data-testid=testid
                aria-pressed=move || if good.get() == Some(value) { "true" } else { "false" }
                on:click=move |_| good.set(Some(value))>
                {t(lang, key)}
            </button>
        }
    };
    view! {
        <Show
            when=move || !rated()
            fallback=move || view! {
                <p class="rating-thanks" data-testid="rating-thanks" role="status">{t(lang, Key::RateThanks)}</p>
            }
        >
            <form class="rating" on:submit=submit>
                <p class="rating-ask">{t(lang, Key::RateAsk)}</p>
                <div class="rating-choices" role="group" aria-label=t(lang, Key::RateAsk)>
                    {choice(true, "rating-good", Key::RateGood)}
                    {choice(false, "rating-bad", Key::RateBad)}
                </div>
                <textarea data-testid="rating-comment" rows="2" maxlength="1000"
                    aria-label=t(lang, Key::RateComment) placeholder=t(lang, Key::RateComment)
                    prop:value=move || comment.get()
                    on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                <button type="submit" data-testid="rating-submit" disabled=move || good.get().is_none()>
                    {t(lang, Key::RateSubmit)}
                </button>
            </form>
        </Show>
    }
}

/// When the server sends mail: the visitor's address, to have the transcript
/// mailed; once the mail server took it, to which address it went.
#[component]
fn TranscriptMailForm(
    lang: Lang,
    conversation_id: ConversationId,
    state: WidgetState,
) -> impl IntoView {
    let mail = state.transcript_mail;
    let email = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let sent = state.send(ClientMsg::EmailTranscript {
            conversation_id,
            email: email.get_untracked().trim().to_owned(),
            lang: Some(lang.tag().to_owned()),
        });
        if sent {
            mail.set(TranscriptMail::Sending);
        }
    };
    move || {
        if !state.email_transcripts.get() {
            return ().into_any();
        }
        match mail.get() {
            TranscriptMail::Sent(to) => view! {
                <p class="transcript-emailed" data-testid="transcript-emailed" role="status">
                    {tf(lang, Key::TranscriptEmailed, &[&to])}
                </p>
            }
            .into_any(),
            progress => view! {
                <form class="transcript-mail" data-testid="transcript-email-form" on:submit=submit>
                    <input data-testid="transcript-email" type="email" required maxlength="254"
                        autocomplete="email" aria-label=t(lang, Key::YourEmail)
                        placeholder=t(lang, Key::YourEmail)
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))/>
                    <button type="submit" data-testid="transcript-email-send"
                        disabled=progress == TranscriptMail::Sending>
                        {t(lang, Key::EmailTranscript)}
                    </button>
                </form>
            }
            .into_any(),
        }
    }
}
