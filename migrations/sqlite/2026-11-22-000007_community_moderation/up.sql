-- Reports members send to a community's moderators (Flag), local or from other servers.
CREATE TABLE community_reports (
    id INTEGER PRIMARY KEY NOT NULL,
    community_id BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    reporter_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    post_id BIGINT REFERENCES posts (id) ON DELETE CASCADE,
    reason TEXT NOT NULL DEFAULT '',
    ap_id TEXT NOT NULL,
    resolved BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX community_reports_ap_id ON community_reports (ap_id);
CREATE INDEX community_reports_open ON community_reports (community_id, resolved);

-- Invitations to invite-only (or any) communities: links for local people (only a hash of
-- the secret is kept) and invitations of remote people (sent as Invite), used once.
CREATE TABLE community_invites (
    id INTEGER PRIMARY KEY NOT NULL,
    community_id BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    created_by BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    token_hash TEXT,
    invitee_id BIGINT REFERENCES actors (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE UNIQUE INDEX community_invites_token ON community_invites (token_hash);
CREATE INDEX community_invites_invitee ON community_invites (community_id, invitee_id);

-- Votes in polls hosted here, once per person and choice (the origin counts).
CREATE TABLE poll_votes (
    id INTEGER PRIMARY KEY NOT NULL,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    choice TEXT NOT NULL,
    ap_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX poll_votes_once ON poll_votes (post_id, actor_id, choice);
