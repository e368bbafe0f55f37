-- form_submissions: the idempotency keys of the pages' forms. Every rendered decision form
-- (approve, deny, revoke) and the agent's request form carries a fresh random key in a
-- hidden field; the first submission of a key stores it here, in the transaction of the
-- change it makes, with the request it made or changed. A repeat of the same form (a
-- double-click, a resent POST) finds the key and is answered with that first result
-- instead of acting again. Keys belong to the person who submitted them (actor_id: an
-- owner's or a staff member's id), so nobody can replay someone else's.
CREATE TABLE form_submissions (
    actor_id    UUID NOT NULL,
    form_key    TEXT NOT NULL,
    request_id  UUID NOT NULL REFERENCES access_requests(id),
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (actor_id, form_key)
);
