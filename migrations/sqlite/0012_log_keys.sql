-- Every key that ever signed the log's checkpoints, by its public note verifier key
-- (`<name>+<hex id>+<base64>`): the secret now lives in a key file outside the database
-- (GLASSBOX__LOG__SIGNING_KEY_FILE), so old checkpoints keep verifying after a rotation.
-- `log_signing_key` stays until the first start moves its secret into the key file.
CREATE TABLE log_verifier_keys (
    verifier_key  TEXT PRIMARY KEY,
    added_at      TEXT NOT NULL
);
