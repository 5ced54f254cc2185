-- PostgreSQL's step 0026 adds an index so that its planner finds a conversation's
-- current members by index without statistics. SQLite's planner already does, by
-- the primary key (conversation_id, role, participant_id): nothing to do here.
SELECT 1;
