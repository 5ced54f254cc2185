//! Transcripts: a conversation as plain text ([`app::transcript::render`]), with
//! exactly what the reader may see. A visitor gets their part of it (their window
//! of the sequence, no internal notes); an agent, as in the history, all of it.

use super::{ChatError, ChatService, Session};
use app::i18n::Lang;
use app::ids::ConversationId;
use app::protocol::{ChatMessage, ServerMsg, SYNC_PAGE};

impl ChatService {
    /// The transcript of `id` as `session` may read it.
    pub async fn transcript(
        &self,
        session: &Session,
        id: ConversationId,
        lang: Lang,
    ) -> Result<String, ChatError> {
        let viewer = session.participant();
        let mut entries: Vec<ChatMessage> = Vec::new();
        loop {
            let after = entries.last().map_or(0, |m| m.seq);
            let page = match session {
                Session::Agent(_) => self.store.staff_entries(id, after, SYNC_PAGE).await?,
                Session::Visitor { .. } => {
                    self.store
                        .messages_after(id, viewer, after, SYNC_PAGE)
                        .await?
                }
            }
            .ok_or(ChatError::NotFound)?;
            let full = page.messages.len() == SYNC_PAGE as usize;
            entries.extend(page.messages);
            if !full {
                break;
            }
        }
        let people: Vec<String> = match session {
            // Everyone who took part.
            Session::Agent(_) => self
                .store
                .past_conversation(id)
                .await?
                .map(|c| c.people.into_iter().map(|p| p.name).collect())
                .unwrap_or_default(),
            // Those the visitor met: who wrote in their part of it.
            Session::Visitor { .. } => {
                let mut names: Vec<String> = Vec::new();
                for author in entries.iter().filter_map(|m| m.author.as_ref()) {
                    if !names.contains(&author.name) {
                        names.push(author.name.clone());
                    }
                }
                names
            }
        };
        Ok(app::transcript::render(lang, id, &people, &entries))
    }

    /// The `transcript` request over the WebSocket.
    pub(super) async fn transcript_frame(
        &self,
        session: &Session,
        conversation_id: ConversationId,
        lang: Option<String>,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let lang = lang.as_deref().and_then(Lang::from_tag).unwrap_or_default();
        let text = self.transcript(session, conversation_id, lang).await?;
        Ok(vec![ServerMsg::Transcript {
            conversation_id,
            text,
        }])
    }
}
