-- The incident banner on an owner's pages stays until the owner has done every step of the
-- checklist or hides it; acknowledging ("I have read this") no longer hides it.
-- reminder_hidden_at: when the owner chose "Hide this reminder" (per mailbox row, like
-- acknowledged_at; set on every mailbox of the owner the incident touched).
ALTER TABLE incident_mailboxes ADD COLUMN reminder_hidden_at TIMESTAMPTZ;
