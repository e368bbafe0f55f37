-- Break-glass: an emergency access opened by a security admin and approved by a second,
-- different one, without the owner's consent. `break_glass` (there since 0001, never set
-- until now) marks such a request; `opened_by` is the security admin who opened it (the
-- agent who will use it is `agent_id`, who may be the same person), `approved_by` the
-- second security admin who approved it. The reference the opener cites is `ticket`.
ALTER TABLE access_requests ADD COLUMN opened_by UUID REFERENCES staff(id);
ALTER TABLE access_requests ADD COLUMN approved_by UUID REFERENCES staff(id);
CREATE INDEX access_requests_break_glass ON access_requests(break_glass, created_at);
