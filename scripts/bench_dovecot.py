#!/usr/bin/env python3
"""The Dovecot benchmark's driver (run by scripts/bench-dovecot.sh, which starts Glassbox and
the two private Dovecots). Prints a Markdown report.

Arms, interleaved ABAB in one run, each ratio taken within a pair:
  L1  staff IMAP logins/s through the real Dovecot, whose Lua passdb asks Glassbox
      (POST /api/v1/imap/login: decided and recorded by the log writer) before each login;
  L0  the same logins through a second Dovecot running the same script with the consent call
      replaced by a canned allow (testinfra/dovecot.sh DOVECOT_STUB_CONSENT=1).
  R   receipts ingested/s: POST /api/v1/imap/receipts, one FETCH event of an allowed session
      per post (each becomes an access event), as Dovecot's exporter posts them;
  C   checks/s: POST /api/v1/access/check (allowed, content), the same client.
Clients: PROCS processes; each IMAP client connects, logs in and logs out in a loop (Python's
imaplib); each HTTP client keeps one keep-alive connection (http.client).
"""
import http.client, http.cookiejar, imaplib, json, multiprocessing as mp, os, re, statistics
import sys, time, urllib.parse, urllib.request, uuid

BASE = os.environ["GLASSBOX_URL"]
TOKEN = os.environ["GLASSBOX_TOKEN"]
REAL_PORT = int(os.environ["REAL_IMAP_PORT"])
STUB_PORT = int(os.environ["STUB_IMAP_PORT"])
PROCS = int(os.environ.get("BENCH_PROCS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "2"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def browser():
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    opener.addheaders = [("Origin", BASE)]
    return opener


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post_form(opener, path, fields):
    data = urllib.parse.urlencode(fields).encode()
    try:
        return opener.open(BASE + path, data).read().decode()
    except urllib.error.HTTPError as e:
        if e.code in (302, 303):
            return ""
        raise


def sign_in(opener, name):
    page = opener.open(BASE + "/auth/demo").read().decode()
    pairs = re.findall(r'name="identity" value="([^"]+)".*?Sign in as ([^<]+)</span>', page, re.S)
    value = next(v for v, n in pairs if n == name)
    post_form(opener, "/auth/demo", {"identity": value})


def api(path, body):
    req = urllib.request.Request(BASE + path, json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + TOKEN,
                                          "Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req).read())


def setup():
    """Sam asks for Alice's content, Alice approves, Sam makes the IMAP credential."""
    created = api("/api/v1/access-requests", {
        "mailbox": "alice@example.org", "agent": "sam.rivera", "scopes": ["metadata", "content"],
        "justification": {"code": "customer_initiated_support", "text": "Benchmark", "ticket": "B-1"},
        "duration_minutes": 480})
    rid = created["id"]
    alice = browser()
    sign_in(alice, "Alice Martin")
    post_form(alice, "/api/approve_request", {"id": rid, "confirm": "yes"})
    sam = browser()
    sign_in(sam, "Sam Rivera")
    page = post_form(sam, f"/staff/requests/{rid}/imap-credential", {})
    secret = re.search(r"gbg_[A-Za-z0-9_-]{20,}", page).group(0)
    return rid, secret


def imap_worker(port, secret, stop_at, start_at, out):
    ok = err = 0
    while time.time() < stop_at:
        try:
            c = imaplib.IMAP4("127.0.0.1", port, timeout=10)
            c.login("alice@example.org*sam.rivera", secret)
            c.logout()
            if time.time() >= start_at:
                ok += 1
        except Exception:
            if time.time() >= start_at:
                err += 1
    out.put((ok, err))


def http_worker(path, body_of, stop_at, start_at, out):
    u = urllib.parse.urlparse(BASE)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    headers = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"}
    ok = err = 0
    n = 0
    while time.time() < stop_at:
        n += 1
        try:
            conn.request("POST", path, body_of(n), headers)
            res = conn.getresponse()
            data = res.read()
            good = res.status == 200 and (b'"allow"' in data or b'"recorded":1' in data)
        except Exception:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            good = False
        if time.time() >= start_at:
            ok += good
            err += not good
    out.put((ok, err))


def run(target, *args):
    out = mp.Queue()
    start_at = time.time() + WARMUP
    stop_at = start_at + SECONDS
    procs = [mp.Process(target=target, args=(*args, stop_at, start_at, out)) for _ in range(PROCS)]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    ok = sum(r[0] for r in results)
    return ok / SECONDS, sum(r[1] for r in results)


def main():
    rid, secret = setup()
    # An allowed session for the receipts (as if Dovecot had logged Sam in).
    session = "bench" + uuid.uuid4().hex[:12]
    login = api("/api/v1/imap/login", {"mailbox": "alice@example.org", "agent": "sam.rivera",
                                       "secret": secret, "client_ip": "127.0.0.1", "session": session})
    assert login["decision"] == "allow", login
    receipt = lambda n: json.dumps({"event": "imap_command_finished", "fields": {
        "user": "alice@example.org", "session": session, "cmd_name": "FETCH",
        "cmd_args": f"{n % 3 + 1} (BODY.PEEK[])", "tagged_reply_state": "OK"}})
    check = lambda n: json.dumps({"mailbox": "alice@example.org", "agent": "sam.rivera",
                                  "scope": "content", "action": "read_message",
                                  "resource": f"message:{n}"})
    login_pairs, http_pairs = [], []
    for r in range(ROUNDS):
        order = [("L1", REAL_PORT), ("L0", STUB_PORT)]
        if r % 2:
            order.reverse()
        got = {name: run(imap_worker, port, secret) for name, port in order}
        login_pairs.append((got["L1"], got["L0"]))
        order = [("R", "/api/v1/imap/receipts", receipt), ("C", "/api/v1/access/check", check)]
        if r % 2:
            order.reverse()
        got = {name: run(http_worker, path, body) for name, path, body in order}
        http_pairs.append((got["R"], got["C"]))
        print(f"round {r + 1}: L1 {login_pairs[-1][0][0]:.0f}/s L0 {login_pairs[-1][1][0]:.0f}/s "
              f"R {http_pairs[-1][0][0]:.0f}/s C {http_pairs[-1][1][0]:.0f}/s", file=sys.stderr)

    def summary(pairs):
        ratios = [a[0] / b[0] if b[0] else 0.0 for a, b in pairs]
        return statistics.median(ratios), min(ratios), max(ratios)

    lm, llo, lhi = summary(login_pairs)
    hm, hlo, hhi = summary(http_pairs)
    print(f"{ROUNDS} pairs per ratio × ({WARMUP:g} s warm-up + {SECONDS:g} s), {PROCS} client processes.\n")
    print("| Ratio | Median | Min–max | Goal |")
    print("|---|---|---|---|")
    print(f"| L1/L0 logins/s with the consent call ÷ stubbed | **{lm:.3f}** | {llo:.3f}–{lhi:.3f} | ≥ 0.8 |")
    print(f"| R/C receipts ingested/s ÷ checks/s | **{hm:.3f}** | {hlo:.3f}–{hhi:.3f} | — |")
    print("\n| Pair | L1 logins/s | L0 logins/s | L1/L0 | R receipts/s | C checks/s | R/C | errors (L1, L0, R, C) |")
    print("|---|---|---|---|---|---|---|---|")
    for i, ((l1, l0), (rr, cc)) in enumerate(zip(login_pairs, http_pairs)):
        print(f"| {i + 1} | {l1[0]:.0f} | {l0[0]:.0f} | {l1[0] / l0[0] if l0[0] else 0:.3f} | "
              f"{rr[0]:.0f} | {cc[0]:.0f} | {rr[0] / cc[0] if cc[0] else 0:.3f} | "
              f"{l1[1]}, {l0[1]}, {rr[1]}, {cc[1]} |")


if __name__ == "__main__":
    main()
