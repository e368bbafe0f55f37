-- Email: the outbox worker's extra bookkeeping, the owner's notice preferences, the
-- first-access notice marker, and the index that lets tokens die with their request.
-- Kept in step with migrations/sqlite/0004_email.sql.

-- Which notification a row is (a stable machine name such as `request_submitted`), the
-- one-click unsubscribe URL digests carry, and when a row was given up on.
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'notice';
ALTER TABLE outbox ADD COLUMN list_unsubscribe TEXT;
ALTER TABLE outbox ADD COLUMN failed_at TIMESTAMPTZ;
-- Rows claimed by a sender that died are found by their expired lease.
CREATE INDEX outbox_lease ON outbox(status, lease_until);
CREATE INDEX outbox_created ON outbox(created_at);

-- How an owner hears about accesses: at once, in one email a day, or not at all (requests
-- are always sent at once, whatever this says).
ALTER TABLE owners ADD COLUMN access_notices TEXT NOT NULL DEFAULT 'immediate'
    CHECK (access_notices IN ('immediate', 'daily_digest', 'off'));
-- Accesses up to this time are already in a digest.
ALTER TABLE owners ADD COLUMN digest_sent_through TIMESTAMPTZ;

-- Set once the owner has been told about the first access under a grant. Grants that
-- existed before this migration count as told, so upgrading sends no old news.
ALTER TABLE access_requests ADD COLUMN first_access_noticed_at TIMESTAMPTZ;
UPDATE access_requests SET first_access_noticed_at = created_at;

CREATE INDEX action_tokens_request ON action_tokens(request_id);

-- What was accessed under one grant (first-access notices, end-of-grant summaries).
CREATE INDEX access_events_request ON access_events(request_id, decision);
