-- Full-text search over what people wrote. The server cuts each text into terms
-- (store/search.rs): words as they are, and each Chinese, Japanese or Korean
-- character a term of its own, so that a phrase of characters finds any text that
-- holds them in a row (退款 finds 我要退款).
--
-- Where SQLite keeps the terms in a contentless FTS5 table, PostgreSQL keeps them
-- on the message itself, as a tsvector the server writes as a literal (each term
-- quoted, with its position): no text-search parser, dictionary or locale cuts
-- them again, so both backends index exactly the same terms. Queries are tsquery
-- literals built from the same cut (phrases with <->, prefixes with :*). NULL:
-- not a text, or not indexed yet; the server indexes those at start, as on SQLite.
ALTER TABLE messages ADD COLUMN search_terms tsvector;
CREATE INDEX messages_search ON messages USING gin (search_terms);
CREATE INDEX messages_unindexed ON messages (created_at)
    WHERE kind = 'text' AND search_terms IS NULL;

-- The history lists conversations newest first and filters by who took part.
CREATE INDEX conversations_by_start ON conversations(created_at, id);
CREATE INDEX participants_by_person ON participants(role, participant_id, conversation_id);
