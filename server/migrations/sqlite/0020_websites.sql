-- Company websites the widget is served to: each with the origins that may embed
-- it (an origin belongs to one website) and the widget's settings there (JSON:
-- colour, position, launcher text, greeting, agents shown, default language).
CREATE TABLE websites (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    settings    TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE website_origins (
    origin      TEXT PRIMARY KEY,
    website_id  TEXT NOT NULL REFERENCES websites(id) ON DELETE CASCADE
);
CREATE INDEX website_origins_by_website ON website_origins (website_id);
