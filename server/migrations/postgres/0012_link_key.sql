-- Keys the server keeps, by name: `file_links` signs the links visitors fetch
-- files with, made on first start and shared by every node and every restart.
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    key  BYTEA NOT NULL
);
