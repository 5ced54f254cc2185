-- Read receipts: how far each participant has seen the conversation (an entry's
-- sequence number; 0 for nothing yet). It only moves forward.
ALTER TABLE participants ADD COLUMN seen_seq BIGINT NOT NULL DEFAULT 0;
