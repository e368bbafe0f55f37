-- An owner's standing rules: requests Glassbox refuses for them without asking (one row per
-- owner who set any; no row means none). refuse_codes: justification codes, space-separated.
CREATE TABLE owner_rules (
    owner_id              BLOB PRIMARY KEY REFERENCES owners(id),
    refuse_content        INTEGER NOT NULL DEFAULT 0,
    refuse_without_ticket INTEGER NOT NULL DEFAULT 0,
    refuse_codes          TEXT NOT NULL DEFAULT '',
    updated_at            TEXT NOT NULL
);
