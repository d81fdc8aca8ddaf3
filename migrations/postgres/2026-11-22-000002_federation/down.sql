DROP TABLE inbox_seen;
DROP TABLE instances;
DROP TABLE deliveries;
DROP TABLE follows;
DROP INDEX actors_key_id;
ALTER TABLE actors DROP COLUMN fetched_at;
ALTER TABLE actors DROP COLUMN profile_url;
ALTER TABLE actors DROP COLUMN key_id;
ALTER TABLE actors DROP COLUMN ap_type;
