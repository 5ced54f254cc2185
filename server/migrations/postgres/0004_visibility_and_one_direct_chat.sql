-- Who may see an entry: everyone in the conversation, or agents only. Every read
-- (live, sync, history) filters by it.
ALTER TABLE messages ADD COLUMN visibility TEXT NOT NULL DEFAULT 'everyone'
    CHECK (visibility IN ('everyone', 'agents'));

-- A direct conversation's visitor, on the conversation itself, so that the database
-- can hold the rule "at most one open direct conversation per visitor": two tabs
-- starting a chat at the same moment, on one node or on two, land in one
-- conversation (the second INSERT waits for the first and then does nothing).
ALTER TABLE conversations ADD COLUMN visitor_id TEXT;
UPDATE conversations SET visitor_id = (
    SELECT participant_id FROM participants p
    WHERE p.conversation_id = conversations.id AND p.role = 'visitor'
    ORDER BY p.joined_at LIMIT 1)
WHERE kind = 'direct';
-- Before this rule the race could open two. The one an agent took stays (else the
-- oldest); the others close, as if abandoned, with no notice.
UPDATE conversations SET state = 'closed', closed_at = created_at
WHERE kind = 'direct' AND state <> 'closed' AND EXISTS (
    SELECT 1 FROM conversations other
    WHERE other.kind = 'direct' AND other.state <> 'closed'
      AND other.visitor_id = conversations.visitor_id AND other.id <> conversations.id
      AND ((other.state = 'active') > (conversations.state = 'active')
           OR ((other.state = 'active') = (conversations.state = 'active')
               AND (other.created_at, other.id) < (conversations.created_at, conversations.id))));
CREATE UNIQUE INDEX conversations_one_open_direct ON conversations(visitor_id)
    WHERE kind = 'direct' AND state <> 'closed';
