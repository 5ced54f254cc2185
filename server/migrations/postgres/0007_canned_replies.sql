-- Canned replies: the team's (no owner, kept by admins) and each agent's own. A
-- shortcut is used once per owner, ignoring case (ASCII, as SQLite's lower(): the
-- column is COLLATE "C"); an agent's own go with the account.
CREATE TABLE canned_replies (
    id             TEXT PRIMARY KEY,
    owner_agent_id TEXT REFERENCES agents(id) ON DELETE CASCADE,
    shortcut       TEXT COLLATE "C" NOT NULL,
    body           TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX canned_replies_one_shortcut
    ON canned_replies(COALESCE(owner_agent_id, ''), lower(shortcut));
