-- The staff roster: recertification, last sign-in, and staff changes in the verifiable log.
--
-- `certified_at`: when a security admin last re-approved this person (or when they were
-- added). A support agent may ask for access only until `certified_at` plus
-- `staff.recertify_every_days`. Rows from before this migration start their first period
-- now, not at `created_at`: an upgrade must not lapse every agent at once. The value is
-- written as RFC 3339 UTC whole seconds, as every other stored time.
-- `certified_by`: the admin who re-approved them (NULL: added, or before this migration).
-- `lapse_logged_at`: set once the lapse of the current period has been written to
-- `staff_changes` (a conditional update, so two instances write it once); cleared by a
-- recertification.
-- `last_sign_in_at`: the last completed sign-in (with the second factor); NULL: none since
-- this migration.
ALTER TABLE staff ADD COLUMN certified_at TEXT;
ALTER TABLE staff ADD COLUMN certified_by BLOB REFERENCES staff(id);
ALTER TABLE staff ADD COLUMN lapse_logged_at TEXT;
ALTER TABLE staff ADD COLUMN last_sign_in_at TEXT;
UPDATE staff SET certified_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now');

-- Staff changes (added, disabled, recertified, lapsed), written in the same transaction as
-- the change and entered into the log by the log writer like `request_changes`: they take
-- the next log index (shared with `access_events` and `request_changes`), a random salt
-- and their leaf hash. `actor` says who made the change: `command_line` (glassbox staff
-- …, on the server), `security_admin` (`actor_staff_id` says which) or `system` (time ran
-- out). Staff added before this migration have no `added` row: the roster says so.
CREATE TABLE staff_changes (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              BLOB NOT NULL UNIQUE,
    occurred_at     TEXT NOT NULL,
    staff_id        BLOB NOT NULL REFERENCES staff(id),
    change          TEXT NOT NULL CHECK (change IN ('added', 'disabled', 'recertified', 'lapsed')),
    actor           TEXT NOT NULL CHECK (actor IN ('command_line', 'security_admin', 'system')),
    -- Only an admin's change names the admin.
    actor_staff_id  BLOB REFERENCES staff(id) CHECK ((actor = 'security_admin') = (actor_staff_id IS NOT NULL)),
    role            TEXT NOT NULL CHECK (role IN ('support', 'security_admin')),
    reason          TEXT,
    log_index       INTEGER,
    leaf_salt       BLOB,
    leaf_hash       BLOB
);
CREATE INDEX staff_changes_staff ON staff_changes(staff_id, seq);
CREATE UNIQUE INDEX staff_changes_log_index ON staff_changes(log_index);
CREATE INDEX staff_changes_unlogged ON staff_changes(seq) WHERE log_index IS NULL;

-- Append-only: the one update allowed is entering a change into the log.
CREATE TRIGGER staff_changes_no_update BEFORE UPDATE ON staff_changes
WHEN NOT (
    OLD.log_index IS NULL AND NEW.log_index IS NOT NULL
    AND NEW.leaf_salt IS NOT NULL AND NEW.leaf_hash IS NOT NULL
    AND NEW.seq IS OLD.seq AND NEW.id IS OLD.id AND NEW.occurred_at IS OLD.occurred_at
    AND NEW.staff_id IS OLD.staff_id AND NEW.change IS OLD.change AND NEW.actor IS OLD.actor
    AND NEW.actor_staff_id IS OLD.actor_staff_id AND NEW.role IS OLD.role
    AND NEW.reason IS OLD.reason
)
BEGIN
    SELECT RAISE(ABORT, 'staff_changes is append-only: changes cannot be updated');
END;
CREATE TRIGGER staff_changes_no_delete BEFORE DELETE ON staff_changes
BEGIN
    SELECT RAISE(ABORT, 'staff_changes is append-only: changes cannot be deleted');
END;
