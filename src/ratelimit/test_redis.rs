//! The Redis that the Redis-backed tests use; one file shared by the library's tests and the
//! API tests (`tests/api/main.rs` includes it by path).
//!
//! `WARDEN_TEST_REDIS_URL` when set; else the server on 127.0.0.1:6379 when it answers; else a
//! private `redis-server` from `PATH`, started once per test process on a free port and stopped
//! after the process exits. With none of these every Redis-backed test fails with the same
//! one-line explanation instead of a connection error each.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const DEFAULT_ADDR: &str = "127.0.0.1:6379";
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The Redis URL for this test process (decided once).
pub fn url() -> String {
    static URL: OnceLock<Result<String, String>> = OnceLock::new();
    match URL.get_or_init(resolve) {
        Ok(url) => url.clone(),
        Err(message) => panic!("{message}"),
    }
}

fn answers(addr: &str) -> bool {
    addr.parse::<SocketAddr>()
        .is_ok_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok())
}

fn resolve() -> Result<String, String> {
    if let Ok(url) = std::env::var("WARDEN_TEST_REDIS_URL") {
        return Ok(url);
    }
    if answers(DEFAULT_ADDR) {
        return Ok(format!("redis://{DEFAULT_ADDR}"));
    }
    start_private().map_err(|reason| {
        format!(
            "the Redis-backed tests need Redis: nothing answers on {DEFAULT_ADDR}, \
             WARDEN_TEST_REDIS_URL is unset, and {reason}. Start Redis, set \
             WARDEN_TEST_REDIS_URL, or install redis-server (Debian: apt-get install redis-server)"
        )
    })
}

/// Runs redis-server under a small shell watchdog that stops it once this test process is gone:
/// a static's destructor never runs at exit, so nothing in-process could.
fn start_private() -> Result<String, String> {
    static WATCHDOG: OnceLock<Mutex<Child>> = OnceLock::new();
    const SCRIPT: &str = r#"redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
server=$!
while kill -0 "$2" 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 1; done
kill "$server" 2>/dev/null"#;
    let installed = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !installed {
        return Err("no redis-server on PATH to start a private one".into());
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|err| format!("no free port for a private redis-server ({err})"))?
        .port();
    let child = Command::new("sh")
        .args(["-c", SCRIPT, "watchdog"])
        .arg(port.to_string())
        .arg(std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|err| format!("sh could not start redis-server ({err})"))?;
    let _ = WATCHDOG.set(Mutex::new(child));
    let addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        if answers(&addr) {
            return Ok(format!("redis://{addr}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!(
        "a private redis-server on {addr} did not answer within {START_TIMEOUT:?}"
    ))
}
