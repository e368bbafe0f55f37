-- Glassbox schema (SQLite). Kept in step with migrations/postgres/0001_initial.sql.
-- Times are RFC 3339 UTC text written by sqlx, always whole seconds (see server/src/db/mod.rs),
-- so text order is time order.

CREATE TABLE owners (
    id            BLOB PRIMARY KEY,
    oidc_subject  TEXT UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE mailboxes (
    id          BLOB PRIMARY KEY,
    owner_id    BLOB NOT NULL REFERENCES owners(id),
    address     TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);
CREATE INDEX mailboxes_owner ON mailboxes(owner_id);

CREATE TABLE staff (
    id            BLOB PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('support', 'security_admin')),
    pseudonym     TEXT NOT NULL UNIQUE,
    oidc_subject  TEXT UNIQUE,
    totp_secret   BLOB,
    disabled_at   TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE access_requests (
    id                  BLOB PRIMARY KEY,
    mailbox_id          BLOB NOT NULL REFERENCES mailboxes(id),
    agent_id            BLOB NOT NULL REFERENCES staff(id),
    scopes              TEXT NOT NULL,
    justification_code  TEXT NOT NULL CHECK (justification_code IN ('customer_initiated_support', 'provider_initiated_review', 'legal_request', 'service_maintenance', 'break_glass_emergency')),
    justification_text  TEXT NOT NULL,
    ticket              TEXT,
    duration_minutes    INTEGER NOT NULL CHECK (duration_minutes > 0),
    status              TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'cancelled', 'revoked', 'ended')),
    break_glass         INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    expires_at          TEXT NOT NULL,
    decided_at          TEXT,
    decision_reason     TEXT,
    grant_starts_at     TEXT,
    grant_ends_at       TEXT,
    closed_at           TEXT
);
CREATE INDEX access_requests_mailbox ON access_requests(mailbox_id, status);
CREATE INDEX access_requests_agent ON access_requests(agent_id, created_at);
CREATE INDEX access_requests_created ON access_requests(created_at);

-- Append-only: every access check, allowed or denied. The triggers below make the database
-- itself refuse any UPDATE or DELETE.
CREATE TABLE access_events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              BLOB NOT NULL UNIQUE,
    occurred_at     TEXT NOT NULL,
    mailbox_id      BLOB NOT NULL REFERENCES mailboxes(id),
    agent_id        BLOB REFERENCES staff(id),
    request_id      BLOB REFERENCES access_requests(id),
    scope           TEXT NOT NULL CHECK (scope IN ('metadata', 'content', 'attachments', 'settings')),
    action          TEXT NOT NULL,
    resource        TEXT NOT NULL,
    decision        TEXT NOT NULL CHECK (decision IN ('allowed', 'denied')),
    reason          TEXT NOT NULL,
    source_network  TEXT
);
CREATE INDEX access_events_mailbox ON access_events(mailbox_id, seq);
CREATE INDEX access_events_agent ON access_events(agent_id, occurred_at);

CREATE TRIGGER access_events_no_update BEFORE UPDATE ON access_events
BEGIN
    SELECT RAISE(ABORT, 'access_events is append-only: events cannot be updated');
END;
CREATE TRIGGER access_events_no_delete BEFORE DELETE ON access_events
BEGIN
    SELECT RAISE(ABORT, 'access_events is append-only: events cannot be deleted');
END;

CREATE TABLE incidents (
    id              BLOB PRIMARY KEY,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    cause_kind      TEXT NOT NULL CHECK (cause_kind IN ('staff_credential', 'service_token', 'other')),
    cause_staff_id  BLOB REFERENCES staff(id),
    window_start    TEXT NOT NULL,
    window_end      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'confirmed', 'closed')),
    declared_by     BLOB NOT NULL REFERENCES staff(id),
    confirmed_by    BLOB REFERENCES staff(id),
    created_at      TEXT NOT NULL,
    confirmed_at    TEXT,
    CHECK (window_start <= window_end)
);

CREATE TABLE incident_mailboxes (
    incident_id      BLOB NOT NULL REFERENCES incidents(id),
    mailbox_id       BLOB NOT NULL REFERENCES mailboxes(id),
    exposure         TEXT NOT NULL CHECK (exposure IN ('metadata', 'content')),
    event_count      INTEGER NOT NULL,
    acknowledged_at  TEXT,
    PRIMARY KEY (incident_id, mailbox_id)
);

CREATE TABLE outbox (
    id               BLOB PRIMARY KEY,
    idempotency_key  TEXT NOT NULL UNIQUE,
    message_id       TEXT NOT NULL UNIQUE,
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    lease_until      TEXT,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    sent_at          TEXT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

CREATE TABLE action_tokens (
    token_hash  BLOB PRIMARY KEY,
    purpose     TEXT NOT NULL,
    owner_id    BLOB NOT NULL REFERENCES owners(id),
    request_id  BLOB REFERENCES access_requests(id),
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    created_at  TEXT NOT NULL
);

CREATE TABLE service_tokens (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
