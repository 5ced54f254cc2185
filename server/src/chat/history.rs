//! Past conversations for agents: the history list, full-text search and one
//! conversation read back in full. Each call takes the agent whose session asks:
//! every agent of the company may read every conversation, internal notes
//! included, as a support team shares its cases; visitors have no way in here
//! (they get their own conversations over the WebSocket, and search nothing).

use super::{ChatError, ChatService};
use crate::store::AgentRecord;
use app::api::{
    HistoryCursor, HistoryFilter, HistoryPage, PastConversation, PastEntries, SearchHit,
    HISTORY_PAGE, MAX_NAME_FILTER_CHARS, SEARCH_RESULTS,
};
use app::ids::ConversationId;
use app::protocol::{char_len, SYNC_PAGE};

pub(super) fn check_filter(filter: &HistoryFilter) -> Result<(), ChatError> {
    if filter
        .visitor_name
        .as_deref()
        .is_some_and(|name| char_len(name) > MAX_NAME_FILTER_CHARS)
    {
        return Err(ChatError::TooLong {
            field: "visitor name",
            max: MAX_NAME_FILTER_CHARS,
        });
    }
    Ok(())
}

impl ChatService {
    pub async fn history(
        &self,
        _agent: &AgentRecord,
        filter: &HistoryFilter,
        after: Option<HistoryCursor>,
    ) -> Result<HistoryPage, ChatError> {
        check_filter(filter)?;
        let conversations = self.store.history(filter, after, HISTORY_PAGE).await?;
        let next = (conversations.len() == HISTORY_PAGE as usize)
            .then(|| conversations.last())
            .flatten()
            .map(|last| HistoryCursor {
                started_ms: last.started_ms,
                id: last.id,
            });
        Ok(HistoryPage {
            conversations,
            next,
        })
    }

    pub async fn search(
        &self,
        _agent: &AgentRecord,
        query: &str,
        filter: &HistoryFilter,
    ) -> Result<Vec<SearchHit>, ChatError> {
        check_filter(filter)?;
        Ok(self.store.search(query, filter, SEARCH_RESULTS).await?)
    }

    pub async fn past_conversation(
        &self,
        _agent: &AgentRecord,
        id: ConversationId,
    ) -> Result<PastConversation, ChatError> {
        self.conversation(id).await
    }

    pub async fn past_entries(
        &self,
        _agent: &AgentRecord,
        id: ConversationId,
        after_seq: u64,
    ) -> Result<PastEntries, ChatError> {
        let (messages, more) = self.entries(id, after_seq, SYNC_PAGE).await?;
        Ok(PastEntries { messages, more })
    }
}
