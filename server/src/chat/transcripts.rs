//! Transcripts: a conversation as plain text ([`app::transcript::render`]), with
//! exactly what the reader may see. A visitor gets their part of it (their window
//! of the sequence, no internal notes); an agent, as in the history, all of it.

use super::{ChatError, ChatService, Session};
use app::i18n::Lang;
use app::ids::{ConversationId, Participant};
use app::protocol::{ChatMessage, ServerMsg, SYNC_PAGE};

impl ChatService {
    /// The transcript of `id` as `session` may read it.
    pub async fn transcript(
        &self,
        session: &Session,
        id: ConversationId,
        lang: Lang,
    ) -> Result<String, ChatError> {
        match session {
            Session::Agent(_) => self.staff_transcript(id, lang).await,
            Session::Visitor { .. } => {
                self.visitor_transcript(session.participant(), id, lang)
                    .await
            }
        }
    }

    /// The whole transcript, internal notes included, as agents (and the REST
    /// API) read it, with everyone who took part.
    pub async fn staff_transcript(
        &self,
        id: ConversationId,
        lang: Lang,
    ) -> Result<String, ChatError> {
        let entries = self.every_entry(id, None).await?;
        let people: Vec<String> = self
            .store
            .past_conversation(id)
            .await?
            .map(|c| c.people.into_iter().map(|p| p.name).collect())
            .unwrap_or_default();
        Ok(app::transcript::render(lang, id, &people, &entries))
    }

    /// A visitor's part of it (their window of the sequence, no notes), naming
    /// those the visitor met: who wrote in that part.
    async fn visitor_transcript(
        &self,
        viewer: Participant,
        id: ConversationId,
        lang: Lang,
    ) -> Result<String, ChatError> {
        let entries = self.every_entry(id, Some(viewer)).await?;
        let mut people: Vec<String> = Vec::new();
        for author in entries.iter().filter_map(|m| m.author.as_ref()) {
            if !people.contains(&author.name) {
                people.push(author.name.clone());
            }
        }
        Ok(app::transcript::render(lang, id, &people, &entries))
    }

    /// Every entry `viewer` may read, page by page; staff (`None`) read all.
    async fn every_entry(
        &self,
        id: ConversationId,
        viewer: Option<Participant>,
    ) -> Result<Vec<ChatMessage>, ChatError> {
        let mut entries: Vec<ChatMessage> = Vec::new();
        loop {
            let after = entries.last().map_or(0, |m| m.seq);
            let page = match viewer {
                None => self.store.staff_entries(id, after, SYNC_PAGE).await?,
                Some(viewer) => {
                    self.store
                        .messages_after(id, viewer, after, SYNC_PAGE)
                        .await?
                }
            }
            .ok_or(ChatError::NotFound)?;
            let full = page.messages.len() == SYNC_PAGE as usize;
            entries.extend(page.messages);
            if !full {
                return Ok(entries);
            }
        }
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
