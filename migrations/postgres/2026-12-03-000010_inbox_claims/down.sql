ALTER TABLE inbox_seen DROP COLUMN done;
