-- The consent loop: staff handles (how the mail system names an agent), and the indexes the
-- access check and the expiry sweeper use.
ALTER TABLE staff ADD COLUMN handle TEXT;
UPDATE staff SET handle = substr(email, 1, instr(email, '@') - 1) WHERE handle IS NULL;
CREATE UNIQUE INDEX staff_handle ON staff(handle);

CREATE INDEX access_requests_grant ON access_requests(mailbox_id, agent_id, status, grant_ends_at);
CREATE INDEX access_requests_expiry ON access_requests(status, expires_at);
CREATE INDEX access_requests_ending ON access_requests(status, grant_ends_at);
