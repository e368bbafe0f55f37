-- Legal holds: an emergency access for a legal request whose order forbids telling the
-- owner until a date. The owner's notice is deferred, never dropped.
--
-- `legal_holds`: one per such request, asked for by the admin who opens it and approved
-- with it by the second admin. `release_on` is the release date (UTC, `YYYY-MM-DD`).
-- When the access starts the notice is written in full and sealed: `subject`, `body`,
-- `nonce` and `commitment` (SHA-256 over them and the release date, see
-- `log/src/sealed.rs`) are set once, with `sealed_at`. An access never approved is never
-- sealed. On the release date `released_at` is set: the notice is sent and shown, and the
-- request and everything done under it appear in the owner's pages. Until then they do
-- not.
CREATE TABLE legal_holds (
    id           BLOB PRIMARY KEY,
    request_id   BLOB NOT NULL UNIQUE REFERENCES access_requests(id),
    reason       TEXT NOT NULL CHECK (reason IN ('legal_request')),
    release_on   TEXT NOT NULL CHECK (length(release_on) = 10),
    created_at   TEXT NOT NULL,
    subject      TEXT,
    body         TEXT,
    nonce        BLOB,
    commitment   BLOB,
    sealed_at    TEXT,
    released_at  TEXT,
    CHECK ((sealed_at IS NULL) = (subject IS NULL) AND (subject IS NULL) = (body IS NULL)
           AND (body IS NULL) = (nonce IS NULL) AND (nonce IS NULL) = (commitment IS NULL))
);
CREATE INDEX legal_holds_held ON legal_holds(request_id) WHERE released_at IS NULL;
CREATE INDEX legal_holds_due ON legal_holds(release_on) WHERE released_at IS NULL;
CREATE INDEX legal_holds_sealed ON legal_holds(sealed_at);

-- A later release date, asked for by one security admin and approved (or refused) by a
-- second, different one. At most one waits per hold.
CREATE TABLE legal_hold_extensions (
    id           BLOB PRIMARY KEY,
    hold_id      BLOB NOT NULL REFERENCES legal_holds(id),
    proposed_by  BLOB NOT NULL REFERENCES staff(id),
    proposed_at  TEXT NOT NULL,
    release_on   TEXT NOT NULL CHECK (length(release_on) = 10),
    reason       TEXT NOT NULL,
    decided_by   BLOB REFERENCES staff(id),
    decided_at   TEXT,
    approved     INTEGER,
    CHECK ((decided_at IS NULL) = (approved IS NULL) AND (decided_at IS NULL) = (decided_by IS NULL)),
    CHECK (decided_by IS NULL OR decided_by <> proposed_by)
);
CREATE UNIQUE INDEX legal_hold_extensions_waiting ON legal_hold_extensions(hold_id) WHERE decided_at IS NULL;

-- Each step of a sealed notice (sealed, extended, released), written in the same
-- transaction as the step and entered into the verifiable log by the log writer like
-- `staff_changes` (the next log index, a random salt, the leaf hash). The entry holds the
-- commitment, the reason and the dates, never the notice nor the mailbox.
CREATE TABLE legal_hold_changes (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               BLOB NOT NULL UNIQUE,
    occurred_at      TEXT NOT NULL,
    hold_id          BLOB NOT NULL REFERENCES legal_holds(id),
    change           TEXT NOT NULL CHECK (change IN ('sealed', 'extended', 'released')),
    reason           TEXT NOT NULL,
    release_on       TEXT NOT NULL,
    commitment       BLOB NOT NULL,
    by_staff_id      BLOB REFERENCES staff(id),
    second_staff_id  BLOB REFERENCES staff(id),
    log_index        INTEGER,
    leaf_salt        BLOB,
    leaf_hash        BLOB
);
CREATE INDEX legal_hold_changes_hold ON legal_hold_changes(hold_id, seq);
CREATE UNIQUE INDEX legal_hold_changes_log_index ON legal_hold_changes(log_index);
CREATE INDEX legal_hold_changes_unlogged ON legal_hold_changes(seq) WHERE log_index IS NULL;

-- Append-only: the one update allowed is entering a step into the log.
CREATE TRIGGER legal_hold_changes_no_update BEFORE UPDATE ON legal_hold_changes
WHEN NOT (
    OLD.log_index IS NULL AND NEW.log_index IS NOT NULL
    AND NEW.leaf_salt IS NOT NULL AND NEW.leaf_hash IS NOT NULL
    AND NEW.seq IS OLD.seq AND NEW.id IS OLD.id AND NEW.occurred_at IS OLD.occurred_at
    AND NEW.hold_id IS OLD.hold_id AND NEW.change IS OLD.change AND NEW.reason IS OLD.reason
    AND NEW.release_on IS OLD.release_on AND NEW.commitment IS OLD.commitment
    AND NEW.by_staff_id IS OLD.by_staff_id AND NEW.second_staff_id IS OLD.second_staff_id
)
BEGIN
    SELECT RAISE(ABORT, 'legal_hold_changes is append-only: steps cannot be updated');
END;
CREATE TRIGGER legal_hold_changes_no_delete BEFORE DELETE ON legal_hold_changes
BEGIN
    SELECT RAISE(ABORT, 'legal_hold_changes is append-only: steps cannot be deleted');
END;

-- A sealed notice is sealed once: its text, nonce and seal time never change after.
CREATE TRIGGER legal_holds_sealed_once BEFORE UPDATE ON legal_holds
WHEN OLD.sealed_at IS NOT NULL AND NOT (
    NEW.subject IS OLD.subject AND NEW.body IS OLD.body AND NEW.nonce IS OLD.nonce
    AND NEW.sealed_at IS OLD.sealed_at AND NEW.request_id IS OLD.request_id
    AND NEW.reason IS OLD.reason
)
BEGIN
    SELECT RAISE(ABORT, 'a sealed notice cannot be rewritten');
END;
