-- "I don't recognise this": an owner's report of an access or a request they do not
-- recognise, for the security admins (their console lists them). One report per owner and
-- subject (`access:<event seq>` or `request:<request id>`); `summary` is what the owner was
-- shown, in words, at the time. Handled once, by a security admin.
CREATE TABLE owner_reports (
    id              UUID PRIMARY KEY,
    owner_id        UUID NOT NULL REFERENCES owners(id),
    subject         TEXT NOT NULL,
    mailbox         TEXT NOT NULL,
    agent_pseudonym TEXT,
    summary         TEXT NOT NULL,
    note            TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    handled_at      TIMESTAMPTZ,
    handled_by      UUID REFERENCES staff(id),
    UNIQUE (owner_id, subject)
);
CREATE INDEX owner_reports_newest ON owner_reports(created_at);
