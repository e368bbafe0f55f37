-- Approving less than asked: the owner may allow only some of the asked scopes, for a
-- shorter time. `scopes` is what the request allows (once approved, what was granted);
-- `asked_scopes` keeps what the agent asked for when the owner allowed less (NULL: as
-- asked). `granted_minutes` is the length of the window the owner approved (NULL until
-- approved, and for requests approved before this column existed: as asked).
ALTER TABLE access_requests ADD COLUMN asked_scopes TEXT;
ALTER TABLE access_requests ADD COLUMN granted_minutes BIGINT CHECK (granted_minutes > 0);
