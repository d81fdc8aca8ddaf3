-- Person-level blocks (federated as Block) and mutes (local only). kind: block | mute.
CREATE TABLE blocks (
    id BIGSERIAL PRIMARY KEY,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    target_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    ap_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX blocks_once ON blocks (actor_id, target_id, kind);
CREATE UNIQUE INDEX blocks_ap_id ON blocks (ap_id);
