-- Posts (Notes, and remote Questions/Articles/Pages shown as posts), local and remote.
-- visibility: public | unlisted | followers | direct. Counts of remote posts are the origin's.
CREATE TABLE posts (
    id BIGSERIAL PRIMARY KEY,
    ap_id TEXT NOT NULL,
    author_id BIGINT NOT NULL REFERENCES actors (id),
    local BOOLEAN NOT NULL,
    kind TEXT NOT NULL,
    content_html TEXT NOT NULL,
    source_text TEXT,
    summary TEXT,
    sensitive BOOLEAN NOT NULL DEFAULT FALSE,
    language TEXT,
    visibility TEXT NOT NULL,
    in_reply_to_ap_id TEXT,
    url TEXT,
    attachments TEXT NOT NULL DEFAULT '[]',
    tags TEXT NOT NULL DEFAULT '[]',
    poll TEXT,
    like_count INTEGER NOT NULL DEFAULT 0,
    announce_count INTEGER NOT NULL DEFAULT 0,
    reply_count INTEGER NOT NULL DEFAULT 0,
    published_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP,
    deleted_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX posts_ap_id ON posts (ap_id);
CREATE INDEX posts_author ON posts (author_id, id);
CREATE INDEX posts_in_reply_to ON posts (in_reply_to_ap_id);

-- Actors a post is addressed to by name (mentions and direct recipients).
CREATE TABLE post_recipients (
    id BIGSERIAL PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES actors (id),
    mentioned BOOLEAN NOT NULL
);
CREATE UNIQUE INDEX post_recipients_pair ON post_recipients (post_id, actor_id);
CREATE INDEX post_recipients_actor ON post_recipients (actor_id);

-- Likes and boosts. kind: like | announce.
CREATE TABLE reactions (
    id BIGSERIAL PRIMARY KEY,
    ap_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES actors (id),
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX reactions_ap_id ON reactions (ap_id);
CREATE UNIQUE INDEX reactions_once ON reactions (kind, actor_id, post_id);

-- Notifications for local people. kind: follow | follow_request | mention | reply | like |
-- announce.
CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES actors (id),
    post_id BIGINT REFERENCES posts (id) ON DELETE CASCADE,
    read BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notifications_account ON notifications (account_id, id);
