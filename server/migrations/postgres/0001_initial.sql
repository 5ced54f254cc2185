-- Agents, their sessions, visitors, conversations with their ordered entries, and
-- messages left while no agent was online: the PostgreSQL twin of
-- migrations/sqlite/0001_initial.sql, step for step.
--
-- Times are Unix milliseconds and sequence numbers count entries: both BIGINT.
-- Token hashes are BYTEA.
--
-- Ids stay TEXT (a UUID in its canonical lower-case form), not the uuid type: the
-- rows are read and written by the same code as on SQLite (`uuid_col`, binds of
-- `id.to_string()`), and `participant_id` / `author_id` hold a visitor's or an
-- agent's id under one column. Canonical UUID text sorts as the UUID does, so
-- `ORDER BY id` and the history cursor agree with SQLite; the cost is 36 bytes a
-- key instead of 16.
--
-- Text people type that is sorted or compared ignoring case (user names, display
-- names, canned-reply shortcuts) is COLLATE "C": bytes, and lower() folding ASCII
-- only, as SQLite's BINARY collation and lower() do, whatever locale the database
-- was made with.

CREATE TABLE agents (
    id            TEXT PRIMARY KEY,
    username      TEXT COLLATE "C" NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    status        TEXT NOT NULL DEFAULT 'online' CHECK (status IN ('online', 'away', 'offline')),
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    agent_id   TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_agent ON sessions(agent_id);

CREATE TABLE visitors (
    id           TEXT PRIMARY KEY,
    token_hash   BYTEA NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

-- last_seq is the conversation's newest entry. A transaction that changes a
-- conversation locks this row first (SELECT … FOR UPDATE) and takes each new
-- number with UPDATE … SET last_seq = last_seq + 1 RETURNING last_seq: gapless,
-- and in commit order on any number of nodes.
CREATE TABLE conversations (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
    state          TEXT NOT NULL CHECK (state IN ('queued', 'active', 'closed')),
    owner_agent_id TEXT,
    last_seq       BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    closed_at      BIGINT
);
CREATE INDEX conversations_queued ON conversations(state) WHERE state = 'queued';

-- One row per participant and conversation; leaving sets left_at, rejoining clears it.
-- A visitor sees the entries from joined_seq to left_seq; agents see all of them.
CREATE TABLE participants (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    role            TEXT NOT NULL CHECK (role IN ('visitor', 'agent')),
    participant_id  TEXT NOT NULL,
    display_name    TEXT COLLATE "C" NOT NULL,
    joined_seq      BIGINT NOT NULL,
    joined_at       BIGINT NOT NULL,
    left_at         BIGINT,
    left_seq        BIGINT,
    PRIMARY KEY (conversation_id, role, participant_id)
);
CREATE INDEX participants_by_member ON participants(role, participant_id) WHERE left_at IS NULL;

CREATE TABLE messages (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq             BIGINT NOT NULL,
    client_msg_id   TEXT NOT NULL,
    author_role     TEXT,
    author_id       TEXT,
    author_name     TEXT,
    kind            TEXT NOT NULL CHECK (kind IN ('text', 'notice')),
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, seq),
    UNIQUE (conversation_id, client_msg_id)
);

CREATE TABLE offline_messages (
    id         TEXT PRIMARY KEY,
    visitor_id TEXT,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL,
    body       TEXT NOT NULL,
    page_url   TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX offline_messages_recent ON offline_messages(created_at);
