-- A visitor's rating of a conversation it took part in: one per visitor and
-- conversation; rating again replaces it.
CREATE TABLE ratings (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    visitor_id      TEXT NOT NULL,
    visitor_name    TEXT NOT NULL,
    good            INTEGER NOT NULL CHECK (good IN (0, 1)),
    comment         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, visitor_id)
);
