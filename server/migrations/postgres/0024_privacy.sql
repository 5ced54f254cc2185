-- Privacy: settings kept by admins in the console, one row per name (the
-- retention period of closed conversations, in days, is `retention_days`),
-- and closed conversations by when they closed, which retention deletes.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE INDEX conversations_closed ON conversations(closed_at) WHERE state = 'closed';
