-- The search index names messages by a number of their own, `search_id`, rather
-- than by the implicit rowid of `messages`, which a VACUUM may renumber (the
-- table has no INTEGER PRIMARY KEY). The index is rebuilt: the server numbers
-- and indexes the text messages that have no search_id when it starts.
ALTER TABLE messages ADD COLUMN search_id INTEGER;
CREATE UNIQUE INDEX messages_by_search_id ON messages(search_id) WHERE search_id IS NOT NULL;
DELETE FROM message_search;
