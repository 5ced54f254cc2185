-- Departments and automatic routing. A department's id is what the widget's tag
-- names (`data-department`); a chat keeps the department it was started in.
-- Routing offers a queued chat to one agent at a time (`offered_to` until
-- `offered_until`); `chat_offers` counts how often each agent was offered it, so
-- that the next offer goes to someone not asked yet, and who declined it.
CREATE TABLE departments (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    routing     TEXT NOT NULL CHECK (routing IN ('manual', 'round_robin', 'least_busy')),
    max_chats   INTEGER NOT NULL,
    offer_ms    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE agent_departments (
    agent_id        TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    department_id   TEXT NOT NULL REFERENCES departments(id) ON DELETE CASCADE,
    -- When routing last offered this agent a chat of the department (round robin).
    last_offered_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (department_id, agent_id)
);

ALTER TABLE conversations ADD COLUMN department_id TEXT;
ALTER TABLE conversations ADD COLUMN offered_to TEXT;
ALTER TABLE conversations ADD COLUMN offered_until BIGINT;

CREATE TABLE chat_offers (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    agent_id        TEXT NOT NULL,
    times           INTEGER NOT NULL,
    -- The agent passed on it: not offered it again.
    declined        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, agent_id)
);
