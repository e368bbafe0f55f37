-- A declared incident is a draft until a second security admin confirms it. While it is a
-- draft a security admin may correct it (`edited_by`/`edited_at`: the last correction; the
-- admin who last edited a draft cannot confirm it, as the one who declared it cannot) or
-- discard it (`discarded`: nothing was done or sent; the row stays, saying who discarded
-- it and when, as `confirmed_by`/`confirmed_at` and `closed_at` say for the other steps).
-- `revision` counts the corrections: a confirmation names the revision the admin read, so a
-- draft corrected after they opened it is not confirmed unseen.
--
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt inside the
-- migration's transaction. Other tables refer to `incidents(id)`: with foreign keys
-- deferred, dropping the old table counts their rows as orphans and copying the rows back
-- finds their parents again, so the commit checks that every reference still holds.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE incidents_before_0019 AS SELECT * FROM incidents;
DROP TABLE incidents;
CREATE TABLE incidents (
    id              BLOB PRIMARY KEY,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    cause_kind      TEXT NOT NULL CHECK (cause_kind IN ('staff_credential', 'service_token', 'other')),
    cause_staff_id  BLOB REFERENCES staff(id),
    window_start    TEXT NOT NULL,
    window_end      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'confirmed', 'closed', 'discarded')),
    declared_by     BLOB NOT NULL REFERENCES staff(id),
    confirmed_by    BLOB REFERENCES staff(id),
    created_at      TEXT NOT NULL,
    confirmed_at    TEXT,
    cause_token_id  BLOB REFERENCES service_tokens(id),
    closed_at       TEXT,
    revision        INTEGER NOT NULL DEFAULT 0,
    edited_by       BLOB REFERENCES staff(id),
    edited_at       TEXT,
    discarded_by    BLOB REFERENCES staff(id),
    discarded_at    TEXT,
    CHECK (window_start <= window_end),
    -- A discarded incident says who discarded it and when; no other does.
    CHECK ((status = 'discarded') = (discarded_by IS NOT NULL AND discarded_at IS NOT NULL))
);
INSERT INTO incidents (id, title, description, cause_kind, cause_staff_id, window_start, window_end, status,
    declared_by, confirmed_by, created_at, confirmed_at, cause_token_id, closed_at)
SELECT id, title, description, cause_kind, cause_staff_id, window_start, window_end, status,
    declared_by, confirmed_by, created_at, confirmed_at, cause_token_id, closed_at
FROM incidents_before_0019;
DROP TABLE incidents_before_0019;
