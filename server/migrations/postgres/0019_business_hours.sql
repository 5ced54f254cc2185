-- Departments' business hours (JSON: a time zone and each weekday's opening,
-- NULL for always open) and the away message visitors read while a department
-- cannot answer.
ALTER TABLE departments ADD COLUMN hours TEXT;
ALTER TABLE departments ADD COLUMN away_message TEXT NOT NULL DEFAULT '';
