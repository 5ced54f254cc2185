-- Files sent in conversations. The bytes are kept by the file store (a folder by
-- default), named by id only; this row says whose they are and which message
-- carries them (set once that message is stored), so that a file is served only
-- to who may see that message. The message keeps the file's details as JSON text.
CREATE TABLE files (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    uploader_role   TEXT NOT NULL CHECK (uploader_role IN ('visitor', 'agent')),
    uploader_id     TEXT NOT NULL,
    name            TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size            BIGINT NOT NULL,
    seq             BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX files_by_conversation ON files(conversation_id);
ALTER TABLE messages ADD COLUMN file TEXT;
