-- Verified visitors: the embedding site's own user id, once a visitor proved
-- it (a valid user_hash), so that the same person is one visitor on every
-- device (docs/integrations.md, "Verified visitors").
ALTER TABLE visitors ADD COLUMN user_id TEXT;
CREATE UNIQUE INDEX visitors_user_id ON visitors (user_id) WHERE user_id IS NOT NULL;
