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
    id           UUID PRIMARY KEY,
    request_id   UUID NOT NULL UNIQUE REFERENCES access_requests(id),
    reason       TEXT NOT NULL CHECK (reason IN ('legal_request')),
    release_on   TEXT NOT NULL CHECK (length(release_on) = 10),
    created_at   TIMESTAMPTZ NOT NULL,
    subject      TEXT,
    body         TEXT,
    nonce        BYTEA,
    commitment   BYTEA,
    sealed_at    TIMESTAMPTZ,
    released_at  TIMESTAMPTZ,
    CHECK ((sealed_at IS NULL) = (subject IS NULL) AND (subject IS NULL) = (body IS NULL)
           AND (body IS NULL) = (nonce IS NULL) AND (nonce IS NULL) = (commitment IS NULL))
);
CREATE INDEX legal_holds_held ON legal_holds(request_id) WHERE released_at IS NULL;
CREATE INDEX legal_holds_due ON legal_holds(release_on) WHERE released_at IS NULL;
CREATE INDEX legal_holds_sealed ON legal_holds(sealed_at);

-- A later release date, asked for by one security admin and approved (or refused) by a
-- second, different one. At most one waits per hold.
CREATE TABLE legal_hold_extensions (
    id           UUID PRIMARY KEY,
    hold_id      UUID NOT NULL REFERENCES legal_holds(id),
    proposed_by  UUID NOT NULL REFERENCES staff(id),
    proposed_at  TIMESTAMPTZ NOT NULL,
    release_on   TEXT NOT NULL CHECK (length(release_on) = 10),
    reason       TEXT NOT NULL,
    decided_by   UUID REFERENCES staff(id),
    decided_at   TIMESTAMPTZ,
    approved     BOOLEAN,
    CHECK ((decided_at IS NULL) = (approved IS NULL) AND (decided_at IS NULL) = (decided_by IS NULL)),
    CHECK (decided_by IS NULL OR decided_by <> proposed_by)
);
CREATE UNIQUE INDEX legal_hold_extensions_waiting ON legal_hold_extensions(hold_id) WHERE decided_at IS NULL;

-- Each step of a sealed notice (sealed, extended, released), written in the same
-- transaction as the step and entered into the verifiable log by the log writer like
-- `staff_changes` (the next log index, a random salt, the leaf hash). The entry holds the
-- commitment, the reason and the dates, never the notice nor the mailbox.
CREATE TABLE legal_hold_changes (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               UUID NOT NULL UNIQUE,
    occurred_at      TIMESTAMPTZ NOT NULL,
    hold_id          UUID NOT NULL REFERENCES legal_holds(id),
    change           TEXT NOT NULL CHECK (change IN ('sealed', 'extended', 'released')),
    reason           TEXT NOT NULL,
    release_on       TEXT NOT NULL,
    commitment       BYTEA NOT NULL,
    by_staff_id      UUID REFERENCES staff(id),
    second_staff_id  UUID REFERENCES staff(id),
    log_index        BIGINT,
    leaf_salt        BYTEA,
    leaf_hash        BYTEA
);
CREATE INDEX legal_hold_changes_hold ON legal_hold_changes(hold_id, seq);
CREATE UNIQUE INDEX legal_hold_changes_log_index ON legal_hold_changes(log_index);
CREATE INDEX legal_hold_changes_unlogged ON legal_hold_changes(seq) WHERE log_index IS NULL;

-- Append-only: the one update allowed is entering a step into the log.
CREATE FUNCTION legal_hold_changes_enter_log_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.log_index IS NULL AND NEW.log_index IS NOT NULL
       AND NEW.leaf_salt IS NOT NULL AND NEW.leaf_hash IS NOT NULL
       AND ROW(NEW.seq, NEW.id, NEW.occurred_at, NEW.hold_id, NEW.change, NEW.reason,
               NEW.release_on, NEW.commitment, NEW.by_staff_id, NEW.second_staff_id)
           IS NOT DISTINCT FROM
           ROW(OLD.seq, OLD.id, OLD.occurred_at, OLD.hold_id, OLD.change, OLD.reason,
               OLD.release_on, OLD.commitment, OLD.by_staff_id, OLD.second_staff_id)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'legal_hold_changes is append-only: steps cannot be %', lower(TG_OP) || 'd'
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER legal_hold_changes_no_update_or_delete BEFORE UPDATE OR DELETE ON legal_hold_changes
    FOR EACH ROW EXECUTE FUNCTION legal_hold_changes_enter_log_only();
CREATE TRIGGER legal_hold_changes_no_truncate BEFORE TRUNCATE ON legal_hold_changes
    FOR EACH STATEMENT EXECUTE FUNCTION legal_hold_changes_enter_log_only();

-- A sealed notice is sealed once: its text, nonce and seal time never change after.
CREATE FUNCTION legal_holds_sealed_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.sealed_at IS NOT NULL AND ROW(NEW.subject, NEW.body, NEW.nonce, NEW.sealed_at,
           NEW.request_id, NEW.reason)
       IS DISTINCT FROM ROW(OLD.subject, OLD.body, OLD.nonce, OLD.sealed_at, OLD.request_id,
           OLD.reason)
    THEN
        RAISE EXCEPTION 'a sealed notice cannot be rewritten' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER legal_holds_sealed_once BEFORE UPDATE ON legal_holds
    FOR EACH ROW EXECUTE FUNCTION legal_holds_sealed_once();
