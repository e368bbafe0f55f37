-- Glassbox schema (PostgreSQL). Kept in step with migrations/sqlite/0001_initial.sql.

CREATE TABLE owners (
    id            UUID PRIMARY KEY,
    oidc_subject  TEXT UNIQUE,
    display_name  TEXT NOT NULL,
    email         TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE mailboxes (
    id          UUID PRIMARY KEY,
    owner_id    UUID NOT NULL REFERENCES owners(id),
    address     TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX mailboxes_owner ON mailboxes(owner_id);

CREATE TABLE staff (
    id            UUID PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('support', 'security_admin')),
    pseudonym     TEXT NOT NULL UNIQUE,
    oidc_subject  TEXT UNIQUE,
    totp_secret   BYTEA,
    disabled_at   TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE access_requests (
    id                  UUID PRIMARY KEY,
    mailbox_id          UUID NOT NULL REFERENCES mailboxes(id),
    agent_id            UUID NOT NULL REFERENCES staff(id),
    scopes              TEXT NOT NULL,
    justification_code  TEXT NOT NULL CHECK (justification_code IN ('customer_initiated_support', 'provider_initiated_review', 'legal_request', 'service_maintenance', 'break_glass_emergency')),
    justification_text  TEXT NOT NULL,
    ticket              TEXT,
    duration_minutes    BIGINT NOT NULL CHECK (duration_minutes > 0),
    status              TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'cancelled', 'revoked', 'ended')),
    break_glass         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          TIMESTAMPTZ NOT NULL,
    expires_at          TIMESTAMPTZ NOT NULL,
    decided_at          TIMESTAMPTZ,
    decision_reason     TEXT,
    grant_starts_at     TIMESTAMPTZ,
    grant_ends_at       TIMESTAMPTZ,
    closed_at           TIMESTAMPTZ
);
CREATE INDEX access_requests_mailbox ON access_requests(mailbox_id, status);
CREATE INDEX access_requests_agent ON access_requests(agent_id, created_at);
CREATE INDEX access_requests_created ON access_requests(created_at);

-- Append-only: every access check, allowed or denied. The triggers below make the database
-- itself refuse any UPDATE, DELETE or TRUNCATE.
CREATE TABLE access_events (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              UUID NOT NULL UNIQUE,
    occurred_at     TIMESTAMPTZ NOT NULL,
    mailbox_id      UUID NOT NULL REFERENCES mailboxes(id),
    agent_id        UUID REFERENCES staff(id),
    request_id      UUID REFERENCES access_requests(id),
    scope           TEXT NOT NULL CHECK (scope IN ('metadata', 'content', 'attachments', 'settings')),
    action          TEXT NOT NULL,
    resource        TEXT NOT NULL,
    decision        TEXT NOT NULL CHECK (decision IN ('allowed', 'denied')),
    reason          TEXT NOT NULL,
    source_network  TEXT
);
CREATE INDEX access_events_mailbox ON access_events(mailbox_id, seq);
CREATE INDEX access_events_agent ON access_events(agent_id, occurred_at);

CREATE FUNCTION access_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access_events is append-only: events cannot be %', lower(TG_OP) || 'd'
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER access_events_no_update_or_delete BEFORE UPDATE OR DELETE ON access_events
    FOR EACH ROW EXECUTE FUNCTION access_events_append_only();
CREATE TRIGGER access_events_no_truncate BEFORE TRUNCATE ON access_events
    FOR EACH STATEMENT EXECUTE FUNCTION access_events_append_only();

CREATE TABLE incidents (
    id              UUID PRIMARY KEY,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    cause_kind      TEXT NOT NULL CHECK (cause_kind IN ('staff_credential', 'service_token', 'other')),
    cause_staff_id  UUID REFERENCES staff(id),
    window_start    TIMESTAMPTZ NOT NULL,
    window_end      TIMESTAMPTZ NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'confirmed', 'closed')),
    declared_by     UUID NOT NULL REFERENCES staff(id),
    confirmed_by    UUID REFERENCES staff(id),
    created_at      TIMESTAMPTZ NOT NULL,
    confirmed_at    TIMESTAMPTZ,
    CHECK (window_start <= window_end)
);

CREATE TABLE incident_mailboxes (
    incident_id      UUID NOT NULL REFERENCES incidents(id),
    mailbox_id       UUID NOT NULL REFERENCES mailboxes(id),
    exposure         TEXT NOT NULL CHECK (exposure IN ('metadata', 'content')),
    event_count      BIGINT NOT NULL,
    acknowledged_at  TIMESTAMPTZ,
    PRIMARY KEY (incident_id, mailbox_id)
);

CREATE TABLE outbox (
    id               UUID PRIMARY KEY,
    idempotency_key  TEXT NOT NULL UNIQUE,
    message_id       TEXT NOT NULL UNIQUE,
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    lease_until      TIMESTAMPTZ,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

CREATE TABLE action_tokens (
    token_hash  BYTEA PRIMARY KEY,
    purpose     TEXT NOT NULL,
    owner_id    UUID NOT NULL REFERENCES owners(id),
    request_id  UUID REFERENCES access_requests(id),
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE service_tokens (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    token_hash  BYTEA NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
