-- The verifiable access log (RFC 9162 Merkle tree, C2SP signed checkpoints).
--
-- Each event gets, once, its position in the log (`log_index`, from 0, gap-free), the random
-- salt of its canonical entry and its leaf hash. Rows written before this migration (or by
-- a bulk import) have none yet; the log writer enters them into the log in `seq` order.
ALTER TABLE access_events
    ADD COLUMN log_index BIGINT,
    ADD COLUMN leaf_salt BYTEA,
    ADD COLUMN leaf_hash BYTEA;
CREATE UNIQUE INDEX access_events_log_index ON access_events(log_index);
CREATE INDEX access_events_unlogged ON access_events(seq) WHERE log_index IS NULL;

-- Still append-only; the one update allowed is entering a not-yet-logged event into the log.
DROP TRIGGER access_events_no_update_or_delete ON access_events;
CREATE TRIGGER access_events_no_delete BEFORE DELETE ON access_events
    FOR EACH ROW EXECUTE FUNCTION access_events_append_only();
CREATE FUNCTION access_events_enter_log_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.log_index IS NULL AND NEW.log_index IS NOT NULL
       AND NEW.leaf_salt IS NOT NULL AND NEW.leaf_hash IS NOT NULL
       AND ROW(NEW.seq, NEW.id, NEW.occurred_at, NEW.mailbox_id, NEW.agent_id, NEW.request_id,
               NEW.scope, NEW.action, NEW.resource, NEW.decision, NEW.reason, NEW.source_network)
           IS NOT DISTINCT FROM
           ROW(OLD.seq, OLD.id, OLD.occurred_at, OLD.mailbox_id, OLD.agent_id, OLD.request_id,
               OLD.scope, OLD.action, OLD.resource, OLD.decision, OLD.reason, OLD.source_network)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'access_events is append-only: events cannot be updated'
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER access_events_no_update BEFORE UPDATE ON access_events
    FOR EACH ROW EXECUTE FUNCTION access_events_enter_log_only();

-- The Merkle tree: every hash the tree stores, by its stored-hash index (post-order
-- numbering of the complete subtrees, as Go's sumdb tlog and C2SP tlog-tiles number them;
-- about two rows per leaf). Insert-only.
CREATE TABLE log_hashes (
    id    BIGINT PRIMARY KEY,
    hash  BYTEA NOT NULL CHECK (length(hash) = 32)
);
CREATE FUNCTION log_hashes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'log_hashes is append-only' USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER log_hashes_no_change BEFORE UPDATE OR DELETE ON log_hashes
    FOR EACH ROW EXECUTE FUNCTION log_hashes_append_only();
CREATE TRIGGER log_hashes_no_truncate BEFORE TRUNCATE ON log_hashes
    FOR EACH STATEMENT EXECUTE FUNCTION log_hashes_append_only();

-- Signed checkpoints (C2SP tlog-checkpoint as a signed note), one per tree size.
CREATE TABLE log_checkpoints (
    size       BIGINT PRIMARY KEY,
    root       BYTEA NOT NULL,
    note       TEXT NOT NULL,
    signed_at  TIMESTAMPTZ NOT NULL
);

-- The checkpoint signing key: made on first start, kept. `name` is the log's origin line.
CREATE TABLE log_signing_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    name        TEXT NOT NULL,
    secret      BYTEA NOT NULL CHECK (length(secret) = 32),
    created_at  TIMESTAMPTZ NOT NULL
);
