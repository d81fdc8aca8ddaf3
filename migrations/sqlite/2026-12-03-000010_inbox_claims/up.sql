-- An activity id is claimed before its processing starts (done = false) and marked done when
-- it completes, so parallel deliveries of one activity apply once; a failed processing
-- removes its claim, and a claim left by a crashed process is taken over after a while.
ALTER TABLE inbox_seen ADD COLUMN done BOOLEAN NOT NULL DEFAULT TRUE;
