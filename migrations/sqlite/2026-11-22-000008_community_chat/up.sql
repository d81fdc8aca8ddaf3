-- Community chat: short messages by members, local or from other servers (Notes addressed
-- to the group only). Never posts: not in any timeline or outbox.
CREATE TABLE community_chat (
    id INTEGER PRIMARY KEY NOT NULL,
    community_id BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    ap_id TEXT NOT NULL,
    content_html TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX community_chat_ap_id ON community_chat (ap_id);
CREATE INDEX community_chat_community ON community_chat (community_id, id);
