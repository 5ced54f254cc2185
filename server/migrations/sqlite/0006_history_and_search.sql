-- Full-text search over what people wrote. The server cuts each text into terms
-- (store/search.rs): words as they are, and each Chinese, Japanese or Korean
-- character a term of its own, so that a phrase of characters finds any text that
-- holds them in a row (退款 finds 我要退款). Contentless: the text itself stays in
-- `messages`, whose rowid the index shares; the server indexes the messages
-- written before this index existed when it starts.
CREATE VIRTUAL TABLE message_search USING fts5(
    terms,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- The history lists conversations newest first and filters by who took part.
CREATE INDEX conversations_by_start ON conversations(created_at, id);
CREATE INDEX participants_by_person ON participants(role, participant_id, conversation_id);
