-- The transactional outbox: a use case records what happened (a domain event, never
-- ActivityPub JSON) in the same transaction as its writes; the publisher later turns each
-- unpublished event into its activity and delivery rows, and marks it published in the same
-- transaction as those rows.
CREATE TABLE outbox_events (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES actors (id),
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP
);
CREATE INDEX outbox_events_unpublished ON outbox_events (published_at, id);
