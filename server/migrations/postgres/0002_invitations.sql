-- Invitations to multi-party conversations. One row per invitation sent; re-inviting
-- someone makes a new row. Only a pending invitation may change state, once (under
-- its conversation's row lock).
CREATE TABLE invitations (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    invitee_role    TEXT NOT NULL CHECK (invitee_role IN ('visitor', 'agent')),
    invitee_id      TEXT NOT NULL,
    invitee_name    TEXT NOT NULL,
    inviter_id      TEXT NOT NULL,
    inviter_name    TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'declined', 'expired')),
    created_at      BIGINT NOT NULL,
    resolved_at     BIGINT
);
CREATE INDEX invitations_pending_by_invitee ON invitations(invitee_role, invitee_id)
    WHERE state = 'pending';
CREATE INDEX invitations_by_conversation ON invitations(conversation_id);
