-- Witnesses' cosignatures (C2SP tlog-cosignature) on the log's signed checkpoints: one per
-- witness (by its verifier key) and checkpoint. Insert-only, like the checkpoints.
CREATE TABLE log_cosignatures (
    size         INTEGER NOT NULL REFERENCES log_checkpoints (size),
    witness      TEXT NOT NULL,
    cosignature  TEXT NOT NULL,
    cosigned_at  TEXT NOT NULL,
    PRIMARY KEY (size, witness)
);
CREATE INDEX log_cosignatures_by_witness ON log_cosignatures (witness, size);
