-- A declared incident is a draft until a second security admin confirms it. While it is a
-- draft a security admin may correct it (`edited_by`/`edited_at`: the last correction; the
-- admin who last edited a draft cannot confirm it, as the one who declared it cannot) or
-- discard it (`discarded`: nothing was done or sent; the row stays, saying who discarded
-- it and when, as `confirmed_by`/`confirmed_at` and `closed_at` say for the other steps).
-- `revision` counts the corrections: a confirmation names the revision the admin read, so a
-- draft corrected after they opened it is not confirmed unseen.
ALTER TABLE incidents DROP CONSTRAINT incidents_status_check;
ALTER TABLE incidents ADD CONSTRAINT incidents_status_check
    CHECK (status IN ('draft', 'confirmed', 'closed', 'discarded'));
ALTER TABLE incidents ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN edited_by UUID REFERENCES staff(id);
ALTER TABLE incidents ADD COLUMN edited_at TIMESTAMPTZ;
ALTER TABLE incidents ADD COLUMN discarded_by UUID REFERENCES staff(id);
ALTER TABLE incidents ADD COLUMN discarded_at TIMESTAMPTZ;
-- A discarded incident says who discarded it and when; no other does.
ALTER TABLE incidents ADD CONSTRAINT incidents_discarded_check
    CHECK ((status = 'discarded') = (discarded_by IS NOT NULL AND discarded_at IS NOT NULL));
