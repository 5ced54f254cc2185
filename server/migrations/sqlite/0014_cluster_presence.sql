-- Cluster presence (nodes and what each node sees) is PostgreSQL's: a SQLite
-- database belongs to one server, whose presence lives in its memory.
SELECT 1;
