-- E-mail (when SMTP is configured): the address an agent is told of offline
-- messages at (NULL: not told), and when each offline message was mailed to the
-- agents (NULL: not yet). Messages left before mail existed count as mailed, so
-- that turning mail on sends no backlog.
ALTER TABLE agents ADD COLUMN email TEXT;
ALTER TABLE offline_messages ADD COLUMN mailed_at BIGINT;
UPDATE offline_messages SET mailed_at = created_at;
CREATE INDEX offline_messages_unmailed ON offline_messages (created_at) WHERE mailed_at IS NULL;
