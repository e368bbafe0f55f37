-- Owners are told of every change. Each marker makes its email happen once,
-- even with several instances.
-- The grant end an owner was warned of ("ends in 10 minutes"): a grant shortened after the
-- warning can be warned of again for its new end.
ALTER TABLE access_requests ADD COLUMN end_warned_for TEXT;
-- Refused access attempts up to this access_events.seq were in an alert to the owner, sent
-- at refusals_alerted_at. Owners start at nothing alerted; only refusals of the last hour
-- are ever alerted, so upgrading sends no old news.
ALTER TABLE owners ADD COLUMN refusals_alerted_through INTEGER NOT NULL DEFAULT 0;
ALTER TABLE owners ADD COLUMN refusals_alerted_at TEXT;
-- Recent refusals, found without reading every access.
CREATE INDEX access_events_refused ON access_events(occurred_at) WHERE decision = 'denied';
-- Grants about to end.
CREATE INDEX access_requests_grant_end ON access_requests(grant_ends_at) WHERE status = 'approved';
