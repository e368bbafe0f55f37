//! F10 of the benchmark rules: the system clock jumps (libfaketime, Debian's `faketime`
//! package) while the real server runs. Expiry is decided by one clock, Glassbox's own
//! (the wall clock at start moved on by the monotonic clock), so a jump neither extends a
//! request's life nor cuts it short.

use std::path::PathBuf;
use std::time::Duration;

fn libfaketime() -> Option<PathBuf> {
    [
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/faketime/libfaketime.so.1",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The real server binary, its wall clock shifted by what `offset` holds.
struct Shifted {
    child: tokio::process::Child,
    base: String,
    token: String,
    offset: PathBuf,
    _dir: tempfile::TempDir,
}

impl Shifted {
    async fn start(preload: &std::path::Path) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let offset = dir.path().join("faketime");
        std::fs::write(&offset, "+0\n").unwrap();
        let envs = [
            (
                "GLASSBOX__DATA_DIR",
                dir.path().to_str().unwrap().to_string(),
            ),
            ("GLASSBOX__HTTP__BIND", format!("127.0.0.1:{port}")),
            ("GLASSBOX__PUBLIC_URL", base.clone()),
            ("GLASSBOX__REQUESTS__PENDING_EXPIRY_MINUTES", "1".into()),
            ("GLASSBOX__REQUESTS__SWEEP_INTERVAL_SECONDS", "1".into()),
            ("GLASSBOX__API__RATE_LIMIT_PER_SECOND", "1000".into()),
        ];
        let bin = env!("CARGO_BIN_EXE_glassbox");
        let out = std::process::Command::new(bin)
            .args(["service-token", "create", "clock-test"])
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
        let child = tokio::process::Command::new(bin)
            .arg("demo")
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .env("LD_PRELOAD", preload)
            .env("FAKETIME_TIMESTAMP_FILE", &offset)
            // Re-read the offset at most every second; the monotonic clock is left alone,
            // as a real jump of the wall clock leaves it.
            .env("FAKETIME_CACHE_DURATION", "1")
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let server = Self {
            child,
            base,
            token,
            offset,
            _dir: dir,
        };
        for _ in 0..600 {
            if let Ok(res) = reqwest::get(format!("{}/readyz", server.base)).await {
                if res.status().is_success() {
                    return server;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server under faketime did not become ready");
    }

    /// What another process under the same offset file reads as the wall clock (Unix
    /// seconds): proof that libfaketime takes the file's offset.
    fn shifted_unix_now(&self, preload: &std::path::Path) -> i64 {
        let out = std::process::Command::new("date")
            .arg("+%s")
            .env("LD_PRELOAD", preload)
            .env("FAKETIME_TIMESTAMP_FILE", &self.offset)
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// Moves the server's wall clock to `offset` from the real one (`+1h`, `-1h`, `+0`).
    async fn jump(&self, offset: &str) {
        std::fs::write(&self.offset, format!("{offset}\n")).unwrap();
        // Past libfaketime's one-second cache, and the server's one-second `Date` cache.
        tokio::time::sleep(Duration::from_millis(2200)).await;
    }

    /// The server's wall clock as its HTTP `Date` header states it (hyper reads the system
    /// clock): proof that a forward jump reached the process. (hyper keeps its `Date` until
    /// the clock passes the next second, so a backward jump does not show there.)
    async fn date_header(&self) -> time::OffsetDateTime {
        let res = reqwest::get(format!("{}/healthz", self.base))
            .await
            .unwrap();
        let date = res.headers()["date"].to_str().unwrap().to_string();
        let format = time::format_description::well_known::Rfc2822;
        time::OffsetDateTime::parse(&date.replace("GMT", "+0000"), &format).unwrap()
    }

    async fn status(&self, id: &str) -> String {
        let res = reqwest::Client::new()
            .get(format!("{}/api/v1/access-requests/{id}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let json: serde_json::Value = res.json().await.unwrap();
        json["status"].as_str().unwrap_or_default().to_string()
    }
}

impl Drop for Shifted {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jump_of_the_system_clock_neither_extends_nor_cuts_short_a_requests_life() {
    let Some(preload) = libfaketime() else {
        assert!(
            std::env::var("GLASSBOX_REQUIRE_FAKETIME").as_deref() != Ok("1"),
            "GLASSBOX_REQUIRE_FAKETIME=1 but libfaketime is not installed (apt-get install faketime)"
        );
        eprintln!("SKIPPED: libfaketime is not installed (apt-get install faketime)");
        return;
    };
    let server = Shifted::start(&preload).await;
    let body = serde_json::json!({"mailbox": "alice@example.org", "agent": "sam.rivera", "scopes": ["metadata"],
        "justification": {"code": "service_maintenance", "text": "Clock test"}});
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/access-requests", server.base))
        .bearer_auth(&server.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let created: serde_json::Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let started = std::time::Instant::now();
    let real_before = server.date_header().await;

    // An hour forward: the system clock says the request is long past its one minute, but
    // only seconds have passed; it must still be waiting for the owner.
    server.jump("+1h").await;
    let shifted = server.date_header().await;
    assert!(
        shifted - real_before > time::Duration::minutes(55),
        "the jump reached the server: {real_before} → {shifted}"
    );
    assert_eq!(
        server.status(&id).await,
        "pending",
        "a forward jump cut the request short"
    );

    // An hour back (from the real time): the request must still expire one minute after it
    // was made, not an hour later.
    server.jump("-1h").await;
    let shifted = server.shifted_unix_now(&preload);
    assert!(
        real_before.unix_timestamp() - shifted > 55 * 60,
        "libfaketime takes the offset: {shifted}"
    );
    let deadline = Duration::from_secs(62);
    tokio::time::sleep(deadline.saturating_sub(started.elapsed())).await;
    assert_eq!(
        server.status(&id).await,
        "expired",
        "a backward jump extended the request's life"
    );
}
