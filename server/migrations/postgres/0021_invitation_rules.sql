-- Proactive invitations: rules (JSON: page pattern, time on the page, pages
-- viewed, returning visitors only, department, greeting) that invite a visitor to
-- chat by themselves; and the greeting an invitation carries, shown on its card.
CREATE TABLE invitation_rules (
    id          TEXT PRIMARY KEY,
    rule        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

ALTER TABLE invitations ADD COLUMN greeting TEXT NOT NULL DEFAULT '';
