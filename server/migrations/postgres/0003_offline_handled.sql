-- An agent marks an offline message handled once it has been dealt with; the
-- console keeps showing it, greyed, with who did it and when.
ALTER TABLE offline_messages ADD COLUMN handled_at BIGINT;
ALTER TABLE offline_messages ADD COLUMN handled_by_name TEXT;
