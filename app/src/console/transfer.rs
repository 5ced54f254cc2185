//! Handing the open conversation on: the panel behind the conversation's
//! "Transfer" button lists the agents online now and, for a visitor's chat, the
//! queue; a reason for the colleague (an internal note) and whether to stay in it.

use super::words::{w, Word};
use super::Desk;
use crate::api::{transfer_conversation, TransferTarget};
use crate::ids::ConversationId;
use crate::protocol::{AgentStatus, ConversationKind};
use leptos::prelude::*;

#[component]
pub fn TransferButton(desk: Desk, id: ConversationId, kind: ConversationKind) -> impl IntoView {
    let lang = desk.lang;
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let stay = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let online = move || {
        desk.agents.with(|list| {
            list.iter()
                .filter(|a| a.id != desk.me && a.status == AgentStatus::Online)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let hand = move |to: TransferTarget| {
        busy.set(true);
        let (text, staying) = (reason.get_untracked(), stay.get_untracked());
        leptos::task::spawn_local(async move {
            match transfer_conversation(id, to, text, staying).await {
                Ok(()) => {
                    open.set(false);
                    reason.set(String::new());
                }
                Err(err) => desk.error.set(Some(err)),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="transfer">
            <button type="button" class="transfer-open" data-testid="transfer-button"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)>
                {w(lang, Word::Transfer)}
            </button>
            <Show when=move || open.get()>
                <div class="transfer-panel" role="dialog" aria-label=w(lang, Word::TransferTo)>
                    <label>
                        {w(lang, Word::TransferReason)}
                        <textarea data-testid="transfer-reason" rows="2" maxlength="4000"
                            prop:value=move || reason.get()
                            on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                    </label>
                    <label class="stay">
                        <input type="checkbox" data-testid="transfer-stay"
                            prop:checked=move || stay.get()
                            on:change=move |ev| stay.set(event_target_checked(&ev))/>
                        {w(lang, Word::StayInConversation)}
                    </label>
                    <p class="transfer-title">{w(lang, Word::TransferTo)}</p>
                    <ul>
                        {move || {
                            let agents = online();
                            if agents.is_empty() {
                                view! { <li class="empty">{w(lang, Word::NobodyOnline)}</li> }.into_any()
                            } else {
                                agents.into_iter().map(|a| {
                                    let to = TransferTarget::Agent(a.id);
                                    view! {
                                        <li><button type="button" data-testid="transfer-option"
                                            data-agent-id=a.id.to_string() disabled=move || busy.get()
                                            on:click=move |_| hand(to)>{a.name}</button></li>
                                    }
                                }).collect_view().into_any()
                            }
                        }}
                        {(kind == ConversationKind::Direct).then(|| view! {
                            <li><button type="button" class="queue" data-testid="transfer-option" data-queue="true"
                                disabled=move || busy.get()
                                on:click=move |_| hand(TransferTarget::Queue)>{w(lang, Word::BackToQueue)}</button></li>
                        })}
                    </ul>
                    <button type="button" class="cancel" on:click=move |_| open.set(false)>{w(lang, Word::Cancel)}</button>
                </div>
            </Show>
        </div>
    }
    .into_any()
}
