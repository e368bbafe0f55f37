-- Request lifecycle changes in the verifiable log.
--
-- Every step in an access request's life (requested, approved, denied, cancelled, expired,
-- revoked, ended, shortened) is written here in the same transaction as the step itself,
-- then entered into the log by the log writer, which gives it the next log index (shared
-- with `access_events`: the two tables together are the log's entries), a random salt and
-- its leaf hash. These rows are not accesses: nothing that counts accesses reads them.
CREATE TABLE request_changes (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             UUID NOT NULL UNIQUE,
    occurred_at    TIMESTAMPTZ NOT NULL,
    request_id     UUID NOT NULL REFERENCES access_requests(id),
    mailbox_id     UUID NOT NULL REFERENCES mailboxes(id),
    agent_id       UUID NOT NULL REFERENCES staff(id),
    change         TEXT NOT NULL CHECK (change IN ('requested', 'approved', 'denied', 'cancelled', 'expired', 'revoked', 'ended', 'shortened')),
    actor          TEXT NOT NULL CHECK (actor IN ('owner', 'staff', 'system', 'security')),
    scopes         TEXT NOT NULL,
    grant_ends_at  TIMESTAMPTZ,
    reason         TEXT,
    log_index      BIGINT,
    leaf_salt      BYTEA,
    leaf_hash      BYTEA
);
CREATE INDEX request_changes_request ON request_changes(request_id, seq);
CREATE UNIQUE INDEX request_changes_log_index ON request_changes(log_index);
CREATE INDEX request_changes_unlogged ON request_changes(seq) WHERE log_index IS NULL;

-- Append-only, like access_events: the one update allowed is entering a change into the log.
CREATE FUNCTION request_changes_enter_log_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.log_index IS NULL AND NEW.log_index IS NOT NULL
       AND NEW.leaf_salt IS NOT NULL AND NEW.leaf_hash IS NOT NULL
       AND ROW(NEW.seq, NEW.id, NEW.occurred_at, NEW.request_id, NEW.mailbox_id, NEW.agent_id,
               NEW.change, NEW.actor, NEW.scopes, NEW.grant_ends_at, NEW.reason)
           IS NOT DISTINCT FROM
           ROW(OLD.seq, OLD.id, OLD.occurred_at, OLD.request_id, OLD.mailbox_id, OLD.agent_id,
               OLD.change, OLD.actor, OLD.scopes, OLD.grant_ends_at, OLD.reason)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'request_changes is append-only: changes cannot be %', lower(TG_OP) || 'd'
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER request_changes_no_update_or_delete BEFORE UPDATE OR DELETE ON request_changes
    FOR EACH ROW EXECUTE FUNCTION request_changes_enter_log_only();
CREATE TRIGGER request_changes_no_truncate BEFORE TRUNCATE ON request_changes
    FOR EACH STATEMENT EXECUTE FUNCTION request_changes_enter_log_only();

-- Requests made before this migration: their steps so far, as well as the table can tell.
INSERT INTO request_changes (id, occurred_at, request_id, mailbox_id, agent_id, change, actor, scopes, grant_ends_at, reason)
SELECT gen_random_uuid(), created_at, id, mailbox_id, agent_id, 'requested', 'staff', scopes, NULL, NULL
FROM access_requests ORDER BY created_at;
INSERT INTO request_changes (id, occurred_at, request_id, mailbox_id, agent_id, change, actor, scopes, grant_ends_at, reason)
SELECT gen_random_uuid(), decided_at, id, mailbox_id, agent_id, 'approved', 'owner', scopes, grant_ends_at, NULL
FROM access_requests WHERE decided_at IS NOT NULL AND status IN ('approved', 'revoked', 'ended') ORDER BY decided_at;
INSERT INTO request_changes (id, occurred_at, request_id, mailbox_id, agent_id, change, actor, scopes, grant_ends_at, reason)
SELECT gen_random_uuid(), COALESCE(closed_at, decided_at, created_at), id, mailbox_id, agent_id, status,
       CASE status WHEN 'denied' THEN 'owner' WHEN 'revoked' THEN 'owner' WHEN 'cancelled' THEN 'staff' ELSE 'system' END,
       scopes, grant_ends_at, decision_reason
FROM access_requests WHERE status IN ('denied', 'cancelled', 'expired', 'revoked', 'ended')
ORDER BY COALESCE(closed_at, decided_at, created_at);
