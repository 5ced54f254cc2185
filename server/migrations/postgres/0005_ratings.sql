-- A visitor's rating of a conversation it took part in: one per visitor and
-- conversation; rating again replaces it.
CREATE TABLE ratings (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    visitor_id      TEXT NOT NULL,
    visitor_name    TEXT NOT NULL,
    good            BOOLEAN NOT NULL,
    comment         TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, visitor_id)
);
