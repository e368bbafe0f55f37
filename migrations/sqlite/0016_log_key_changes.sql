-- How each key after the first was introduced: a key-change statement (a signed note,
-- `<origin>\nglassbox-key-change/v1\n<new verifier key>\n`) signed by the key before it, so a
-- browser that pinned an older key can follow the log to its current key. NULL for the
-- first key, and for keys added before statements existed.
ALTER TABLE log_verifier_keys ADD COLUMN introduced_by TEXT;
