-- What a remote actor document told us, and when we last fetched it.
ALTER TABLE actors ADD COLUMN ap_type TEXT NOT NULL DEFAULT 'Person';
ALTER TABLE actors ADD COLUMN key_id TEXT;
ALTER TABLE actors ADD COLUMN profile_url TEXT;
ALTER TABLE actors ADD COLUMN fetched_at TIMESTAMP;
CREATE INDEX actors_key_id ON actors (key_id);

-- Follows between any two actors, local or remote. state: pending | accepted.
CREATE TABLE follows (
    id BIGSERIAL PRIMARY KEY,
    follower_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    target_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    ap_id TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX follows_pair ON follows (follower_id, target_id);
CREATE UNIQUE INDEX follows_ap_id ON follows (ap_id);
CREATE INDEX follows_target ON follows (target_id, state);

-- The delivery queue: one row per activity and target inbox (shared inboxes deduplicated).
-- state: pending | done | failed | expired.
CREATE TABLE deliveries (
    id BIGSERIAL PRIMARY KEY,
    activity_id TEXT NOT NULL,
    activity_json TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES actors (id),
    inbox_url TEXT NOT NULL,
    host TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_status INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX deliveries_activity_inbox ON deliveries (activity_id, inbox_url);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);

-- Every instance we have heard of (never pruned: account deletions go to all of them), its
-- health for deliveries, and whether an admin blocked it.
CREATE TABLE instances (
    id BIGSERIAL PRIMARY KEY,
    host TEXT NOT NULL,
    shared_inbox_url TEXT,
    blocked BOOLEAN NOT NULL DEFAULT FALSE,
    failing_since TIMESTAMP,
    dead BOOLEAN NOT NULL DEFAULT FALSE,
    last_probe_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX instances_host ON instances (host);

-- Ids of activities already applied (replays change nothing); pruned after the peers' retry
-- horizon.
CREATE TABLE inbox_seen (
    id BIGSERIAL PRIMARY KEY,
    activity_id TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX inbox_seen_activity ON inbox_seen (activity_id);
