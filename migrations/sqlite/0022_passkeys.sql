-- Passkeys (WebAuthn credentials), for staff as their second factor and for owners who
-- want approving to need one. A passkey belongs to exactly one staff member or one owner.
-- `credential_id` is the authenticator's credential id (base64url), unique across all;
-- `credential` is the public key with its signature counter (webauthn-rs's `Passkey`, as
-- JSON), rewritten after each use so a cloned key (a counter that does not grow) is
-- refused. `name` is the holder's label ("YubiKey on my keyring").
CREATE TABLE passkeys (
    id             BLOB PRIMARY KEY,
    staff_id       BLOB REFERENCES staff(id),
    owner_id       BLOB REFERENCES owners(id),
    credential_id  TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    credential     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    last_used_at   TEXT,
    CHECK ((staff_id IS NULL) <> (owner_id IS NULL))
);
CREATE INDEX passkeys_staff ON passkeys(staff_id) WHERE staff_id IS NOT NULL;
CREATE INDEX passkeys_owner ON passkeys(owner_id) WHERE owner_id IS NOT NULL;

-- Every completed staff sign-in and the factor it was made with (`passkey`, `totp`, or
-- `demo` for the local demo's one-click sign-in). Append-only: an access event shows its
-- owner the strength of the agent's sign-in in force when it happened (the last one at or
-- before it), so that record must never change afterwards.
CREATE TABLE staff_sign_ins (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id      BLOB NOT NULL REFERENCES staff(id),
    signed_in_at  TEXT NOT NULL,
    factor        TEXT NOT NULL CHECK (factor IN ('passkey', 'totp', 'demo'))
);
CREATE INDEX staff_sign_ins_staff ON staff_sign_ins(staff_id, signed_in_at);
CREATE TRIGGER staff_sign_ins_no_update BEFORE UPDATE ON staff_sign_ins
BEGIN
    SELECT RAISE(ABORT, 'staff_sign_ins is append-only: sign-ins cannot be updated');
END;
CREATE TRIGGER staff_sign_ins_no_delete BEFORE DELETE ON staff_sign_ins
BEGIN
    SELECT RAISE(ABORT, 'staff_sign_ins is append-only: sign-ins cannot be deleted');
END;
