-- Agents, their sessions, visitors, conversations with their ordered entries, and
-- messages left while no agent was online. Times are Unix milliseconds; ids are UUID text.

CREATE TABLE agents (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    status        TEXT NOT NULL DEFAULT 'online' CHECK (status IN ('online', 'away', 'offline')),
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    agent_id   TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_agent ON sessions(agent_id);

CREATE TABLE visitors (
    id           TEXT PRIMARY KEY,
    token_hash   BLOB NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE conversations (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
    state          TEXT NOT NULL CHECK (state IN ('queued', 'active', 'closed')),
    owner_agent_id TEXT,
    last_seq       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    closed_at      INTEGER
);
CREATE INDEX conversations_queued ON conversations(state) WHERE state = 'queued';

-- One row per participant and conversation; leaving sets left_at, rejoining clears it.
-- A visitor sees the entries from joined_seq to left_seq; agents see all of them.
CREATE TABLE participants (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    role            TEXT NOT NULL CHECK (role IN ('visitor', 'agent')),
    participant_id  TEXT NOT NULL,
    display_name    TEXT NOT NULL,
    joined_seq      INTEGER NOT NULL,
    joined_at       INTEGER NOT NULL,
    left_at         INTEGER,
    left_seq        INTEGER,
    PRIMARY KEY (conversation_id, role, participant_id)
);
CREATE INDEX participants_by_member ON participants(role, participant_id) WHERE left_at IS NULL;

CREATE TABLE messages (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq             INTEGER NOT NULL,
    client_msg_id   TEXT NOT NULL,
    author_role     TEXT,
    author_id       TEXT,
    author_name     TEXT,
    kind            TEXT NOT NULL CHECK (kind IN ('text', 'notice')),
    body            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
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
    created_at INTEGER NOT NULL
);
CREATE INDEX offline_messages_recent ON offline_messages(created_at);
