-- Actors: local and remote people, portfolios, communities and the instance actor share one table.
CREATE TABLE actors (
    id INTEGER PRIMARY KEY NOT NULL,
    ap_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    handle TEXT NOT NULL,
    handle_norm TEXT NOT NULL,
    host TEXT NOT NULL,
    local BOOLEAN NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    avatar_path TEXT,
    avatar_url TEXT,
    interests TEXT NOT NULL DEFAULT '[]',
    skills TEXT NOT NULL DEFAULT '[]',
    links TEXT NOT NULL DEFAULT '[]',
    inbox_url TEXT NOT NULL,
    shared_inbox_url TEXT,
    outbox_url TEXT,
    followers_url TEXT,
    following_url TEXT,
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT,
    manually_approves_followers BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE UNIQUE INDEX actors_ap_id ON actors (ap_id);
-- Handles are unique per instance among local actors (remote hosts may reuse a name across
-- kinds, as Lemmy does for a user and a community).
CREATE UNIQUE INDEX actors_host_handle ON actors (host, handle_norm) WHERE local;

-- Login data for local people; the public side lives in actors.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES actors (id),
    username TEXT NOT NULL,
    username_norm TEXT NOT NULL,
    email TEXT NOT NULL,
    email_norm TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'user',
    email_confirmed_at TIMESTAMP,
    approved BOOLEAN NOT NULL,
    pending_email TEXT,
    language TEXT,
    created_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE UNIQUE INDEX accounts_actor_id ON accounts (actor_id);
CREATE UNIQUE INDEX accounts_username_norm ON accounts (username_norm);
CREATE UNIQUE INDEX accounts_email_norm ON accounts (email_norm);

-- Browser sessions (expire) and API tokens (until revoked); only a hash of the secret is kept.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP
);
CREATE UNIQUE INDEX sessions_token_hash ON sessions (token_hash);
CREATE INDEX sessions_account ON sessions (account_id);

-- Single-use emailed tokens: email confirmation, password reset, email change.
CREATE TABLE account_tokens (
    id INTEGER PRIMARY KEY NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    new_email TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE UNIQUE INDEX account_tokens_token_hash ON account_tokens (token_hash);

-- Fixed-window rate-limit counters, shared by every process.
CREATE TABLE rate_limits (
    id INTEGER PRIMARY KEY NOT NULL,
    bucket TEXT NOT NULL,
    window_start TIMESTAMP NOT NULL,
    hits INTEGER NOT NULL
);
CREATE UNIQUE INDEX rate_limits_bucket_window ON rate_limits (bucket, window_start);

-- Instance settings saved by an admin; they win over the configuration file.
CREATE TABLE instance_settings (
    id INTEGER PRIMARY KEY NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX instance_settings_key ON instance_settings (key);
