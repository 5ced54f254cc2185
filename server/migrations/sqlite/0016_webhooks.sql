-- Webhooks. An endpoint subscribes to events by name. Each event is written to
-- the outbox (webhook_events) in the same transaction as the change that caused
-- it, with one delivery per endpoint subscribed then; a worker delivers them at
-- least once, retrying with back-off, and logs every attempt. The secret signs
-- the deliveries, so it is kept as given (unlike tokens, which are hashed).
CREATE TABLE webhook_endpoints (
    id            TEXT PRIMARY KEY,
    url           TEXT NOT NULL,
    secret        TEXT NOT NULL,
    events        TEXT NOT NULL,
    allow_private BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL
);

CREATE TABLE webhook_events (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    event_id        TEXT NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_of ON webhook_deliveries (endpoint_id, updated_at);

CREATE TABLE webhook_attempts (
    event_id    TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    at          BIGINT NOT NULL,
    status      INTEGER,
    error       TEXT,
    duration_ms BIGINT NOT NULL,
    FOREIGN KEY (event_id, endpoint_id)
        REFERENCES webhook_deliveries(event_id, endpoint_id) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_of ON webhook_attempts (event_id, endpoint_id, at);
