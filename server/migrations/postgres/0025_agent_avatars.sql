-- Agents' pictures, shown to visitors beside the agent's name when the
-- website's settings show agents: one per agent, kept in the database so that
-- every node serves it. `agents.avatar_at` says when it was last set (none: no
-- picture), which versions its address.
CREATE TABLE agent_avatars (
    agent_id     TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    bytes        BYTEA NOT NULL
);
ALTER TABLE agents ADD COLUMN avatar_at BIGINT;
