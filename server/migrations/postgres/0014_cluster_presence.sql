-- Cluster presence: each node registers under a new id at every start and holds
-- a lease it renews every second; it keeps here who is present on it (visitors on
-- the site, agents with a console open, as its own presence sees them). Every node
-- reads the others' rows; a node whose lease ran out (and the grace period after)
-- is removed with its rows, so that a killed node's visitors leave everywhere.
-- Times are the database's clock, in milliseconds, never a node's.
CREATE TABLE nodes (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    lease_until BIGINT NOT NULL
);

CREATE TABLE node_presence (
    node_id     BIGINT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    -- 'v:<visitor id>' or 'a:<agent id>'
    participant TEXT NOT NULL,
    -- the VisitorInfo or AgentInfo the node shows its consoles
    info        JSONB NOT NULL,
    PRIMARY KEY (node_id, participant)
);
