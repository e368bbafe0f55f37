#!/usr/bin/env python3
"""A real IMAP client (Python's imaplib) for Glassbox's Dovecot tests. Prints one JSON line
per outcome.
  imap_client.py PORT login USER PASSWORD   -> {"ok": true} or {"ok": false, "error": "..."}
  imap_client.py PORT read USER PASSWORD    -> login, SELECT INBOX, FETCH 1:2 headers,
                                               FETCH 3 body, LOGOUT -> {"ok", "exists", "fetched"}
  imap_client.py PORT bodies USER PASSWORD  -> login, SELECT INBOX, FETCH 1:3 bodies, LOGOUT
                                               -> {"ok", "exists", "fetched"}
  imap_client.py PORT hold USER PASSWORD SECONDS
      -> login, SELECT INBOX, prints {"ready": true}, then NOOP every 0.2 s; prints
         {"disconnected": true, "after": seconds} when the server ends the session, or
         {"disconnected": false} after SECONDS.
"""
import imaplib, json, sys, time

def out(**kw):
    print(json.dumps(kw), flush=True)

def main():
    port, mode, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    c = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    try:
        c.login(user, password)
    except imaplib.IMAP4.error as e:
        out(ok=False, error=e.args[0].decode() if isinstance(e.args[0], bytes) else str(e.args[0]))
        return
    if mode == "login":
        out(ok=True)
        c.logout()
    elif mode == "read":
        typ, data = c.select("INBOX")
        exists = int(data[0])
        fetched = 0
        typ, data = c.fetch("1:2", "(BODY.PEEK[HEADER])")
        fetched += len([d for d in data if isinstance(d, tuple)])
        typ, data = c.fetch("3", "(BODY[TEXT])")
        fetched += len([d for d in data if isinstance(d, tuple)])
        c.logout()
        out(ok=True, exists=exists, fetched=fetched)
    elif mode == "bodies":
        typ, data = c.select("INBOX")
        exists = int(data[0])
        typ, data = c.fetch("1:3", "(BODY.PEEK[])")
        fetched = len([d for d in data if isinstance(d, tuple)])
        c.logout()
        out(ok=True, exists=exists, fetched=fetched)
    elif mode == "hold":
        limit = float(sys.argv[5])
        c.select("INBOX")
        out(ready=True)
        start = time.monotonic()
        while time.monotonic() - start < limit:
            try:
                c.noop()
            except Exception:
                out(disconnected=True, after=round(time.monotonic() - start, 2))
                return
            time.sleep(0.2)
        out(disconnected=False)
    else:
        out(ok=False, error="unknown mode " + mode)

main()
