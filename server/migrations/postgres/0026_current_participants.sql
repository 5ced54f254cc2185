-- A conversation's current members, in one index range: read on every stored
-- message. Without it, a table filled faster than autovacuum analyses it (a
-- morning's rush of new chats) has no statistics, and PostgreSQL answered "who is
-- in this conversation now" by AND-ing a bitmap of the whole partial index of
-- current members with the primary key's: 1.5 ms with 5,000 members, growing with
-- the site, on every message (docs/performance.md).
CREATE INDEX participants_current ON participants(conversation_id) WHERE left_at IS NULL;
