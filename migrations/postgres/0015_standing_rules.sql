-- An owner's standing rules: requests Glassbox refuses for them without asking (one row per
-- owner who set any; no row means none). refuse_codes: justification codes, space-separated.
CREATE TABLE owner_rules (
    owner_id              UUID PRIMARY KEY REFERENCES owners(id),
    refuse_content        BOOLEAN NOT NULL DEFAULT FALSE,
    refuse_without_ticket BOOLEAN NOT NULL DEFAULT FALSE,
    refuse_codes          TEXT NOT NULL DEFAULT '',
    updated_at            TIMESTAMPTZ NOT NULL
);
