-- Reports: when a conversation's visitor first wrote, and when (and by whom) an
-- agent first answered them, kept on the conversation as its messages are
-- stored, so that a report reads one row per chat, never its messages.
-- Only messages everyone sees count (not internal notes, not notices).
ALTER TABLE conversations ADD COLUMN first_visitor_at BIGINT;
ALTER TABLE conversations ADD COLUMN first_response_at BIGINT;
ALTER TABLE conversations ADD COLUMN first_response_by TEXT;

-- Each update finds its row by the primary key and writes only the first time:
-- after a conversation's first answer, a message costs a look-up, no write.
CREATE FUNCTION note_first_response() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.author_role = 'visitor' THEN
        UPDATE conversations SET first_visitor_at = NEW.created_at
        WHERE id = NEW.conversation_id AND first_visitor_at IS NULL;
    ELSE
        UPDATE conversations SET first_response_at = NEW.created_at,
                                 first_response_by = NEW.author_id
        WHERE id = NEW.conversation_id
          AND first_visitor_at IS NOT NULL AND first_response_at IS NULL;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER messages_first_response AFTER INSERT ON messages FOR EACH ROW
WHEN (NEW.kind = 'text' AND NEW.visibility = 'everyone' AND NEW.author_role IS NOT NULL)
EXECUTE FUNCTION note_first_response();

-- The conversations stored before this migration.
UPDATE conversations SET first_visitor_at = (
    SELECT m.created_at FROM messages m
    WHERE m.conversation_id = conversations.id AND m.kind = 'text'
      AND m.visibility = 'everyone' AND m.author_role = 'visitor'
    ORDER BY m.seq LIMIT 1);
UPDATE conversations SET (first_response_at, first_response_by) = (
    SELECT a.created_at, a.author_id FROM messages a
    WHERE a.conversation_id = conversations.id AND a.kind = 'text'
      AND a.visibility = 'everyone' AND a.author_role = 'agent'
      AND a.seq > (SELECT MIN(v.seq) FROM messages v
                   WHERE v.conversation_id = conversations.id AND v.kind = 'text'
                     AND v.visibility = 'everyone' AND v.author_role = 'visitor')
    ORDER BY a.seq LIMIT 1)
WHERE first_visitor_at IS NOT NULL;
