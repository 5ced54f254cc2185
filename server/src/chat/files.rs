//! Files in conversations, as the chat service sees them: the message that
//! carries a stored file, who may fetch one, and the signed links visitors fetch
//! them with. The bytes and the checks of what may be sent are in
//! [`crate::files`]; the HTTP side in `http/files.rs`.

use super::{ChatError, ChatService, Session};
use crate::clock::now_ms;
use crate::store::{FileRecord, NewMessage};
use app::ids::{ConversationId, FileId, MessageId, Participant};
use app::protocol::{Body, FileInfo, ServerMsg, Visibility};

/// What sending a file did.
#[derive(Debug)]
pub struct FileSent {
    pub seq: u64,
    /// For a resend of a message stored before: the file that one carries (the
    /// one just sent is not needed).
    pub earlier: Option<Option<FileInfo>>,
}

impl ChatService {
    /// Appends the message that carries `file` (already stored) from `session`, as
    /// a send of its text would be; refused as a send is.
    pub async fn send_file(
        &self,
        session: &Session,
        conversation_id: ConversationId,
        client_msg_id: MessageId,
        file: FileInfo,
    ) -> Result<FileSent, ChatError> {
        // No stripe lock: the store batches appends, and a lock held across the wait
        // would keep this conversation's next message out of the batch.
        let message = NewMessage {
            id: client_msg_id,
            author: Some(session.author()),
            body: Body::Text {
                text: file.name.clone(),
            },
            at_ms: now_ms(),
            visibility: Visibility::Everyone,
            file: Some(file),
        };
        let appended = self
            .store
            .append(conversation_id, session.participant(), message)
            .await?;
        let seq = appended.seq;
        if appended.changed.is_empty() {
            let page = self
                .store
                .staff_entries(conversation_id, seq.saturating_sub(1), 1)
                .await?;
            let earlier = page
                .and_then(|p| p.messages.into_iter().next())
                .and_then(|m| m.file);
            return Ok(FileSent {
                seq,
                earlier: Some(earlier),
            });
        }
        self.announce(appended.changed);
        Ok(FileSent { seq, earlier: None })
    }

    /// Whether `session` may send files into the conversation: a current member.
    pub async fn may_send_into(
        &self,
        session: &Session,
        conversation_id: ConversationId,
    ) -> Result<(), ChatError> {
        self.store
            .participants_if_member(conversation_id, session.participant())
            .await?
            .map(|_| ())
            .ok_or(ChatError::NotFound)
    }

    /// The file, if `viewer` may see the message that carries it: any agent (as in
    /// the history), a visitor within their window of the conversation.
    pub async fn file_for(&self, viewer: Participant, id: FileId) -> Result<FileRecord, ChatError> {
        let record = self
            .store
            .file_record(id)
            .await?
            .ok_or(ChatError::NotFound)?;
        if viewer.is_agent() {
            return Ok(record);
        }
        let page = self
            .store
            .messages_after(
                record.conversation_id,
                viewer,
                record.seq.saturating_sub(1),
                1,
            )
            .await?
            .ok_or(ChatError::NotFound)?;
        match page.messages.first() {
            Some(entry) if entry.seq == record.seq => Ok(record),
            _ => Err(ChatError::NotFound),
        }
    }

    /// The `file_link` request: a signed link for the visitor to fetch a file
    /// they may see.
    pub(super) async fn file_link(
        &self,
        session: &Session,
        file_id: FileId,
    ) -> Result<Vec<ServerMsg>, ChatError> {
        let Session::Visitor { id: visitor, .. } = session else {
            // Agents fetch files with their session cookie.
            return Err(ChatError::BadRequest("agents fetch files at /files/{id}"));
        };
        self.file_for(session.participant(), file_id).await?;
        Ok(vec![ServerMsg::FileLink {
            file_id,
            url: self.links.url(file_id, *visitor, now_ms()),
        }])
    }

    pub fn links(&self) -> &crate::files::Links {
        &self.links
    }
}
