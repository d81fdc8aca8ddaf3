-- A community is a Group actor (name, description, avatar and keys live in actors); this row
-- holds the rest. Remote communities (Kogi, Lemmy) have a row too.
-- kind: community | team | organization | cohort. visibility: public | private | invite.
CREATE TABLE communities (
    id INTEGER PRIMARY KEY NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES actors (id),
    local BOOLEAN NOT NULL,
    kind TEXT NOT NULL,
    visibility TEXT NOT NULL,
    rules TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    -- Linked portfolios: a JSON list of their actor URLs (local or remote).
    portfolios TEXT NOT NULL DEFAULT '[]',
    banner_path TEXT,
    banner_url TEXT,
    moderators_url TEXT,
    featured_url TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE UNIQUE INDEX communities_actor ON communities (actor_id);

-- Owners and moderators (members are the accepted followers of the group).
-- role: owner | moderator.
CREATE TABLE community_roles (
    id INTEGER PRIMARY KEY NOT NULL,
    community_id BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX community_roles_pair ON community_roles (community_id, actor_id);

-- People banned from a community: no joining, posting or commenting.
CREATE TABLE community_bans (
    id INTEGER PRIMARY KEY NOT NULL,
    community_id BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    reason TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX community_bans_pair ON community_bans (community_id, actor_id);

-- Threads and comments of a community are posts; this says which community each is in.
-- kind: thread | comment. Threads carry a title and may be pinned or locked.
CREATE TABLE community_posts (
    id INTEGER PRIMARY KEY NOT NULL,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    community_id BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    thread_post_id BIGINT REFERENCES posts (id) ON DELETE CASCADE,
    pinned BOOLEAN NOT NULL DEFAULT FALSE,
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX community_posts_post ON community_posts (post_id);
CREATE INDEX community_posts_community ON community_posts (community_id, kind, id);
