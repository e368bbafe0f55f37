-- The verifiable access log (RFC 9162 Merkle tree, C2SP signed checkpoints).
--
-- Each event gets, once, its position in the log (`log_index`, from 0, gap-free), the random
-- salt of its canonical entry and its leaf hash. Rows written before this migration (or by
-- a bulk import) have none yet; the log writer enters them into the log in `seq` order.
ALTER TABLE access_events ADD COLUMN log_index INTEGER;
ALTER TABLE access_events ADD COLUMN leaf_salt BLOB;
ALTER TABLE access_events ADD COLUMN leaf_hash BLOB;
CREATE UNIQUE INDEX access_events_log_index ON access_events(log_index);
CREATE INDEX access_events_unlogged ON access_events(seq) WHERE log_index IS NULL;

-- Still append-only; the one update allowed is entering a not-yet-logged event into the log.
DROP TRIGGER access_events_no_update;
CREATE TRIGGER access_events_no_update BEFORE UPDATE ON access_events
WHEN NOT (
    OLD.log_index IS NULL AND NEW.log_index IS NOT NULL
    AND NEW.leaf_salt IS NOT NULL AND NEW.leaf_hash IS NOT NULL
    AND NEW.seq IS OLD.seq AND NEW.id IS OLD.id AND NEW.occurred_at IS OLD.occurred_at
    AND NEW.mailbox_id IS OLD.mailbox_id AND NEW.agent_id IS OLD.agent_id
    AND NEW.request_id IS OLD.request_id AND NEW.scope IS OLD.scope AND NEW.action IS OLD.action
    AND NEW.resource IS OLD.resource AND NEW.decision IS OLD.decision AND NEW.reason IS OLD.reason
    AND NEW.source_network IS OLD.source_network
)
BEGIN
    SELECT RAISE(ABORT, 'access_events is append-only: events cannot be updated');
END;

-- The Merkle tree: every hash the tree stores, by its stored-hash index (post-order
-- numbering of the complete subtrees, as Go's sumdb tlog and C2SP tlog-tiles number them;
-- about two rows per leaf). Insert-only.
CREATE TABLE log_hashes (
    id    INTEGER PRIMARY KEY,
    hash  BLOB NOT NULL CHECK (length(hash) = 32)
);
CREATE TRIGGER log_hashes_no_update BEFORE UPDATE ON log_hashes
BEGIN
    SELECT RAISE(ABORT, 'log_hashes is append-only');
END;
CREATE TRIGGER log_hashes_no_delete BEFORE DELETE ON log_hashes
BEGIN
    SELECT RAISE(ABORT, 'log_hashes is append-only');
END;

-- Signed checkpoints (C2SP tlog-checkpoint as a signed note), one per tree size.
CREATE TABLE log_checkpoints (
    size       INTEGER PRIMARY KEY,
    root       BLOB NOT NULL,
    note       TEXT NOT NULL,
    signed_at  TEXT NOT NULL
);

-- The checkpoint signing key: made on first start, kept. `name` is the log's origin line.
CREATE TABLE log_signing_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    name        TEXT NOT NULL,
    secret      BLOB NOT NULL CHECK (length(secret) = 32),
    created_at  TEXT NOT NULL
);
