-- Request lifecycle changes in the verifiable log.
--
-- Every step in an access request's life (requested, approved, denied, cancelled, expired,
-- revoked, ended, shortened) is written here in the same transaction as the step itself,
-- then entered into the log by the log writer, which gives it the next log index (shared
-- with `access_events`: the two tables together are the log's entries), a random salt and
-- its leaf hash. These rows are not accesses: nothing that counts accesses reads them.
CREATE TABLE request_changes (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             BLOB NOT NULL UNIQUE,
    occurred_at    TEXT NOT NULL,
    request_id     BLOB NOT NULL REFERENCES access_requests(id),
    mailbox_id     BLOB NOT NULL REFERENCES mailboxes(id),
    agent_id       BLOB NOT NULL REFERENCES staff(id),
    change         TEXT NOT NULL CHECK (change IN ('requested', 'approved', 'denied', 'cancelled', 'expired', 'revoked', 'ended', 'shortened')),
    actor          TEXT NOT NULL CHECK (actor IN ('owner', 'staff', 'system', 'security')),
    scopes         TEXT NOT NULL,
    grant_ends_at  TEXT,
    reason         TEXT,
    log_index      INTEGER,
    leaf_salt      BLOB,
    leaf_hash      BLOB
);
CREATE INDEX request_changes_request ON request_changes(request_id, seq);
CREATE UNIQUE INDEX request_changes_log_index ON request_changes(log_index);
CREATE INDEX request_changes_unlogged ON request_changes(seq) WHERE log_index IS NULL;

-- Append-only, like access_events: the one update allowed is entering a change into the log.
CREATE TRIGGER request_changes_no_update BEFORE UPDATE ON request_changes
WHEN NOT (
    OLD.log_index IS NULL AND NEW.log_index IS NOT NULL
    AND NEW.leaf_salt IS NOT NULL AND NEW.leaf_hash IS NOT NULL
    AND NEW.seq IS OLD.seq AND NEW.id IS OLD.id AND NEW.occurred_at IS OLD.occurred_at
    AND NEW.request_id IS OLD.request_id AND NEW.mailbox_id IS OLD.mailbox_id
    AND NEW.agent_id IS OLD.agent_id AND NEW.change IS OLD.change AND NEW.actor IS OLD.actor
    AND NEW.scopes IS OLD.scopes AND NEW.grant_ends_at IS OLD.grant_ends_at
    AND NEW.reason IS OLD.reason
)
BEGIN
    SELECT RAISE(ABORT, 'request_changes is append-only: changes cannot be updated');
END;
CREATE TRIGGER request_changes_no_delete BEFORE DELETE ON request_changes
BEGIN
    SELECT RAISE(ABORT, 'request_changes is append-only: changes cannot be deleted');
END;

-- Requests made before this migration: their steps so far, as well as the table can tell.
INSERT INTO request_changes (id, occurred_at, request_id, mailbox_id, agent_id, change, actor, scopes, grant_ends_at, reason)
SELECT randomblob(16), created_at, id, mailbox_id, agent_id, 'requested', 'staff', scopes, NULL, NULL
FROM access_requests ORDER BY created_at;
INSERT INTO request_changes (id, occurred_at, request_id, mailbox_id, agent_id, change, actor, scopes, grant_ends_at, reason)
SELECT randomblob(16), decided_at, id, mailbox_id, agent_id, 'approved', 'owner', scopes, grant_ends_at, NULL
FROM access_requests WHERE decided_at IS NOT NULL AND status IN ('approved', 'revoked', 'ended') ORDER BY decided_at;
INSERT INTO request_changes (id, occurred_at, request_id, mailbox_id, agent_id, change, actor, scopes, grant_ends_at, reason)
SELECT randomblob(16), COALESCE(closed_at, decided_at, created_at), id, mailbox_id, agent_id, status,
       CASE status WHEN 'denied' THEN 'owner' WHEN 'revoked' THEN 'owner' WHEN 'cancelled' THEN 'staff' ELSE 'system' END,
       scopes, grant_ends_at, decision_reason
FROM access_requests WHERE status IN ('denied', 'cancelled', 'expired', 'revoked', 'ended')
ORDER BY COALESCE(closed_at, decided_at, created_at);
