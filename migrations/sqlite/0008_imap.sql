-- Consent enforced where mail is read (Dovecot, integrations/dovecot/).
--
-- imap_credentials: the per-grant IMAP secret (gbg_...) an agent logs in with. Only a keyed
-- hash is stored (HMAC-SHA256 under the installation's secret key); the secret itself is
-- shown once. A credential is valid only while its request is a live grant with the
-- `content` scope, and only for that request's mailbox and agent; revoked_at ends it
-- earlier (a new credential for the same request revokes the previous one).
CREATE TABLE imap_credentials (
    id           BLOB PRIMARY KEY,
    request_id   BLOB NOT NULL REFERENCES access_requests(id),
    secret_hash  BLOB NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT
);
CREATE INDEX imap_credentials_request ON imap_credentials(request_id);

-- imap_sessions: the Dovecot sessions Glassbox allowed, written in the transaction of the
-- login's access event; command receipts are matched on dovecot_session, and a revoke ends
-- the open ones (cut_at).
CREATE TABLE imap_sessions (
    id               BLOB PRIMARY KEY,
    dovecot_session  TEXT NOT NULL UNIQUE,
    request_id       BLOB NOT NULL REFERENCES access_requests(id),
    mailbox_id       BLOB NOT NULL REFERENCES mailboxes(id),
    agent_id         BLOB NOT NULL REFERENCES staff(id),
    client_ip        TEXT NOT NULL,
    login_event_id   BLOB NOT NULL,
    created_at       TEXT NOT NULL,
    cut_at           TEXT
);
CREATE INDEX imap_sessions_request ON imap_sessions(request_id);
CREATE INDEX imap_sessions_agent ON imap_sessions(agent_id);

-- imap_kicks: the outbox of "end these sessions" calls to doveadm (kick), queued in the
-- transaction of the revoke, end, shorten or disable, and retried until Dovecot confirms.
CREATE TABLE imap_kicks (
    id               BLOB PRIMARY KEY,
    request_id       BLOB NOT NULL REFERENCES access_requests(id),
    mailbox          TEXT NOT NULL,
    client_ip        TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    done_at          TEXT
);
CREATE INDEX imap_kicks_due ON imap_kicks(next_attempt_at) WHERE done_at IS NULL;
