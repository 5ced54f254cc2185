-- A mailer claims the offline messages it is about to mail: until
-- `mail_claimed_until` (ms) no other mailer, on this node or another, takes
-- them, so that two mailers running at once do not mail a message twice. A
-- claim that lapses (its node died while mailing) lets another mailer retry.
ALTER TABLE offline_messages ADD COLUMN mail_claimed_until INTEGER;
