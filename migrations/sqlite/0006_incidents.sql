-- Incidents: a service token as a cause, the owner's checklist (one row per ticked step), notices sent in rounds
-- (the first notice, then follow-ups), queued in batches by a job.
ALTER TABLE incidents ADD COLUMN cause_token_id BLOB REFERENCES service_tokens(id);
ALTER TABLE incidents ADD COLUMN closed_at TEXT;
ALTER TABLE incident_mailboxes ADD COLUMN notified_round INTEGER NOT NULL DEFAULT 0;
CREATE INDEX incident_mailboxes_mailbox ON incident_mailboxes(mailbox_id);

CREATE TABLE incident_rounds (
    incident_id  BLOB NOT NULL REFERENCES incidents(id),
    round        INTEGER NOT NULL,
    message      TEXT,
    created_by   BLOB NOT NULL REFERENCES staff(id),
    created_at   TEXT NOT NULL,
    -- set once every affected owner's notice of this round is in the outbox
    queued_at    TEXT,
    PRIMARY KEY (incident_id, round)
);

CREATE TABLE incident_steps (
    incident_id  BLOB NOT NULL REFERENCES incidents(id),
    owner_id     BLOB NOT NULL REFERENCES owners(id),
    step         TEXT NOT NULL CHECK (step IN ('change_password', 'turn_on_two_factor', 'check_forwarding',
                                               'check_recovery', 'sign_out_sessions', 'expect_phishing')),
    done_at      TEXT NOT NULL,
    PRIMARY KEY (incident_id, owner_id, step)
);
