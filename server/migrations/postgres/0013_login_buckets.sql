-- Failed-login throttling, kept in the store so that every node counts the same
-- attempts (and a restart forgets none): one token bucket per key
-- (`a:<username>`, `ip:<address>`), with its tokens when last used.
CREATE TABLE login_buckets (
    key        TEXT PRIMARY KEY,
    tokens     DOUBLE PRECISION NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX login_buckets_by_age ON login_buckets (updated_at);
