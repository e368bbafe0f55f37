-- Which staff IMAP session each receipt belongs to, so the owner sees the receipts under
-- their login event and a summary per session on the request's page. Written in the
-- transaction of the receipt's access event; event_id is that event's id (access_events is
-- append-only, so the link is made here rather than by a new column there).
CREATE TABLE imap_receipts (
    event_id    BLOB PRIMARY KEY REFERENCES access_events(id),
    session_id  BLOB NOT NULL REFERENCES imap_sessions(id),
    created_at  TEXT NOT NULL
);
CREATE INDEX imap_receipts_session ON imap_receipts(session_id);

-- When the agent's client logged out by itself (its LOGOUT command event), so that a kick
-- is neither sent for it nor claimed to have cut it.
ALTER TABLE imap_sessions ADD COLUMN logged_out_at TEXT;
