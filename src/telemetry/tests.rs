//! Tests capturing output through in-memory writers (no global subscriber).

use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tracing::field::Empty;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::Registry;

use super::file::{FailureReporter, TolerantWriter, rolling_appender};
use super::*;

const TARGET: &str = module_path!();
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";

/// In-memory writer usable as a `MakeWriter` and as a plain `Write`.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    fn lines(&self) -> Vec<String> {
        self.text().lines().map(str::to_owned).collect()
    }

    fn json_lines(&self) -> Vec<Value> {
        self.lines()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Runs `f` with a JSON layer (and optional `LOG_LEVEL` filter) as the thread default.
fn capture_json(filter: Option<&str>, f: impl FnOnce()) -> Capture {
    let out = Capture::default();
    let subscriber = Registry::default()
        .with(filter.map(|f| filter_layer(f).unwrap()))
        .with(json_layer(out.clone()));
    tracing::subscriber::with_default(subscriber, f);
    out
}

fn capture_pretty(ansi: bool, f: impl FnOnce()) -> String {
    let out = Capture::default();
    let subscriber = Registry::default().with(pretty_layer(out.clone(), ansi));
    tracing::subscriber::with_default(subscriber, f);
    out.text()
}

fn one_json(f: impl FnOnce()) -> Value {
    let lines = capture_json(None, f).json_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    lines.into_iter().next().unwrap()
}

fn request_span() -> tracing::Span {
    tracing::info_span!(
        "request",
        request_id = %"6f1c2a8e-1b7d-4f0e-9a51-3c0d2b7e9f10",
        method = %"GET",
        path = %"/api/v1/users/",
        user_id = Empty,
    )
}

#[test]
fn json_line_shape_and_types() {
    let out = capture_json(None, || {
        tracing::info!(
            status = 200u16,
            duration_ms = 3.21,
            ok = true,
            client_ip = "203.0.113.7",
            "request completed"
        );
    });
    let raw = out.text();
    assert!(raw.ends_with("}\n") && raw.lines().count() == 1, "{raw:?}");
    let line = &out.json_lines()[0];
    let ts = line["timestamp"].as_str().unwrap();
    assert_eq!(ts.len(), 24, "{ts}");
    assert!(ts.ends_with('Z') && ts.as_bytes()[19] == b'.', "{ts}");
    assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok());
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["target"], TARGET);
    assert_eq!(line["message"], "request completed");
    assert_eq!(line["status"], 200);
    assert!(line["status"].is_u64());
    assert_eq!(line["duration_ms"].as_f64(), Some(3.21));
    assert!(raw.contains(r#""duration_ms":3.21"#), "{raw}");
    assert_eq!(line["ok"], true);
    assert_eq!(line["client_ip"], "203.0.113.7");
    let keys: Vec<&String> = line.as_object().unwrap().keys().collect();
    assert!(
        keys.iter()
            .all(|k| !k.contains("span") && !k.contains("fields"))
    );
    assert!(raw.starts_with(r#"{"timestamp":"#), "{raw}");
}

#[test]
fn json_levels_are_upper_case_and_message_always_present() {
    let out = capture_json(None, || {
        tracing::error!("e");
        tracing::warn!("w");
        tracing::debug!("d");
        tracing::trace!(x = 1);
    });
    let levels: Vec<Value> = out
        .json_lines()
        .iter()
        .map(|l| l["level"].clone())
        .collect();
    assert_eq!(levels, ["ERROR", "WARN", "DEBUG", "TRACE"]);
    assert_eq!(out.json_lines()[3]["message"], "");
}

#[test]
fn request_span_fields_are_lifted_in_order() {
    let out = capture_json(None, || {
        let span = request_span();
        let _entered = span.enter();
        tracing::info!(route = "/api/v1/users/", status = 200, "request completed");
    });
    let raw = out.text();
    let line = &out.json_lines()[0];
    assert_eq!(line["request_id"], "6f1c2a8e-1b7d-4f0e-9a51-3c0d2b7e9f10");
    assert_eq!(line["method"], "GET");
    assert_eq!(line["path"], "/api/v1/users/");
    assert!(line.get("user_id").is_none(), "empty field must not appear");
    let order = [
        "\"message\"",
        "\"request_id\"",
        "\"method\"",
        "\"path\"",
        "\"route\"",
        "\"status\"",
    ];
    let positions: Vec<usize> = order.iter().map(|k| raw.find(k).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{raw}");
}

#[test]
fn user_id_recorded_later_appears_afterwards() {
    let out = capture_json(None, || {
        let span = request_span();
        let _entered = span.enter();
        tracing::debug!("request started");
        span.record("user_id", 42);
        tracing::info!(status = 200, "request completed");
    });
    let lines = out.json_lines();
    assert!(lines[0].get("user_id").is_none());
    assert_eq!(lines[1]["user_id"], 42);
    assert_eq!(
        lines[1]["request_id"],
        "6f1c2a8e-1b7d-4f0e-9a51-3c0d2b7e9f10"
    );
}

#[test]
fn nested_span_fields_and_event_fields_win() {
    let line = one_json(|| {
        let outer = request_span();
        let _o = outer.enter();
        let inner = tracing::info_span!("db", op = "select");
        let _i = inner.enter();
        tracing::info!(path = "/override", "x");
    });
    assert_eq!(line["op"], "select");
    assert_eq!(line["request_id"], "6f1c2a8e-1b7d-4f0e-9a51-3c0d2b7e9f10");
    assert_eq!(line["path"], "/override");
}

#[test]
fn every_sensitive_key_is_redacted() {
    let line = one_json(|| {
        tracing::info!(
            password = "p",
            password_hash = "h",
            token = "t",
            access_token = "a",
            refresh_token = "r",
            api_key = "k",
            apikey = "k2",
            secret = "s",
            secret_key = "sk",
            authorization = "Basic abc",
            auth = "x",
            credential = "c",
            credentials = "cs",
            private_key = "pk",
            ssh_key = "ssh",
            credit_card = 4111,
            card_number = "4111",
            cvv = 123,
            ssn = "000",
            social_security = "000",
            username = "alice",
            "x"
        );
    });
    for key in SENSITIVE_KEYS {
        assert_eq!(line[*key], REDACTED, "{key}");
    }
    assert_eq!(line["username"], "alice");
}

#[test]
fn sensitive_keys_match_case_insensitively() {
    let line = one_json(|| {
        tracing::info!(
            "PASSWORD" = "p",
            "Access_Token" = "a",
            "Authorization" = "x",
            "API_KEY" = 1,
            "x"
        );
    });
    for key in ["PASSWORD", "Access_Token", "Authorization", "API_KEY"] {
        assert_eq!(line[key], REDACTED, "{key}");
    }
}

#[test]
fn sensitive_keys_inside_json_strings_are_redacted_at_any_depth() {
    let line = one_json(|| {
        let body = r#"{"user":{"name":"alice","Password":"hunter2","keys":[{"api_key":"k"}]}}"#;
        tracing::info!(body, list = r#"[{"token":"t"}]"#, "x");
    });
    let body: Value = serde_json::from_str(line["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["user"]["Password"], REDACTED);
    assert_eq!(body["user"]["keys"][0]["api_key"], REDACTED);
    assert_eq!(body["user"]["name"], "alice");
    let list: Value = serde_json::from_str(line["list"].as_str().unwrap()).unwrap();
    assert_eq!(list[0]["token"], REDACTED);
    assert!(!line.to_string().contains("hunter2"));
}

#[test]
fn bearer_and_token_values_are_redacted() {
    let line = one_json(|| {
        let header = format!("Bearer {JWT}");
        tracing::info!(header = %header, other = "Token abcdefghijklmnopqrstu", short = "Bearer x", debug = ?header, "x");
    });
    assert_eq!(line["header"], REDACTED);
    assert_eq!(line["other"], REDACTED);
    assert_eq!(line["debug"], REDACTED);
    assert_eq!(line["short"], "Bearer x");
    assert!(!line.to_string().contains(JWT));
}

#[test]
fn message_and_span_fields_are_redacted_too() {
    let line = one_json(|| {
        let span = tracing::info_span!("request", request_id = "r1", token = Empty);
        let _entered = span.enter();
        span.record("token", "abc");
        tracing::info!("Bearer {JWT}");
    });
    assert_eq!(line["message"], REDACTED);
    assert_eq!(line["token"], REDACTED);
    assert_eq!(line["request_id"], "r1");
}

#[test]
fn pretty_line_matches_the_spec_layout() {
    let text = capture_pretty(false, || {
        let span = request_span();
        let _entered = span.enter();
        span.record("user_id", 1);
        tracing::info!(status = 200, duration_ms = 3.21, "request completed");
    });
    assert!(!text.contains('\x1b'));
    let (ts, rest) = text.split_at(24);
    assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok(), "{ts}");
    let expected = format!(
        "  INFO {TARGET} [6f1c2a8e-1b7d-4f0e-9a51-3c0d2b7e9f10] GET /api/v1/users/ | request completed status=200 duration_ms=3.21 user_id=1\n"
    );
    assert_eq!(rest, expected);
}

#[test]
fn pretty_line_outside_a_request_and_quoting() {
    let text = capture_pretty(false, || {
        tracing::warn!(
            addr = "0.0.0.0:5500",
            note = "two words",
            password = "p",
            "listening"
        );
    });
    let expected = format!(
        "  WARN {TARGET} listening addr=0.0.0.0:5500 note=\"two words\" password={REDACTED}\n"
    );
    assert_eq!(&text[24..], expected);
}

#[test]
fn pretty_colours_levels_only_when_asked() {
    let text = capture_pretty(true, || {
        tracing::error!("e");
        tracing::warn!("w");
        tracing::info!("i");
        tracing::debug!("d");
        tracing::trace!("t");
    });
    let lines: Vec<&str> = text.lines().collect();
    let colours = [
        "\x1b[31mERROR",
        "\x1b[33m WARN",
        "\x1b[32m INFO",
        "\x1b[36mDEBUG",
        "\x1b[35mTRACE",
    ];
    for (line, colour) in lines.iter().zip(colours) {
        assert!(line.contains(colour), "{line:?}");
    }
}

#[test]
fn noisy_targets_are_filtered_to_warn() {
    let out = capture_json(Some("info"), || {
        tracing::info!(target: "sqlx::query", "hidden");
        tracing::info!(target: "hyper_util::client", "hidden");
        tracing::warn!(target: "sqlx::query", "slow query");
        tracing::info!(target: "warden::http", "kept");
        tracing::debug!(target: "warden::http", "hidden");
    });
    let messages: Vec<Value> = out
        .json_lines()
        .iter()
        .map(|l| l["message"].clone())
        .collect();
    assert_eq!(messages, ["slow query", "kept"]);
}

#[test]
fn log_level_can_raise_noisy_targets() {
    let out = capture_json(Some("warn,sqlx=debug"), || {
        tracing::debug!(target: "sqlx::query", "query");
        tracing::info!(target: "hyper", "hidden");
        tracing::info!(target: "warden::http", "hidden");
    });
    let messages: Vec<Value> = out
        .json_lines()
        .iter()
        .map(|l| l["message"].clone())
        .collect();
    assert_eq!(messages, ["query"]);
}

#[test]
fn request_span_survives_a_warn_level_filter() {
    let out = capture_json(Some("warn"), || {
        let span = request_span();
        let _entered = span.enter();
        span.record("user_id", 5);
        tracing::info!("hidden");
        tracing::warn!(status = 404, "request completed");
    });
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        lines[0]["request_id"],
        "6f1c2a8e-1b7d-4f0e-9a51-3c0d2b7e9f10"
    );
    assert_eq!(lines[0]["user_id"], 5);
}

fn settings(dir: Option<&Path>, retention_days: usize) -> LogSettings {
    LogSettings {
        filter: "info".to_owned(),
        format: LogFormat::Pretty,
        dir: dir.map(Path::to_path_buf),
        retention_days,
        console: ConsoleTarget::Stderr,
    }
}

fn utc_file_names() -> [String; 2] {
    let now = chrono::Utc::now();
    [now, now - chrono::Duration::minutes(1)]
        .map(|t| format!("warden.log.{}", t.format("%Y-%m-%d")))
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn file_output_is_json_in_a_dated_file_and_dir_is_created() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested/logs");
    let console = Capture::default();
    let reporter = Arc::new(FailureReporter::new(Box::new(console.clone())));
    let (subscriber, guard) = build_subscriber(
        &settings(Some(&dir), 30),
        BoxMakeWriter::new(console.clone()),
        false,
        reporter,
    )
    .unwrap();
    assert!(guard.file_enabled());
    tracing::subscriber::with_default(subscriber, || {
        let span = request_span();
        let _entered = span.enter();
        tracing::info!(status = 200, password = "p", "request completed");
    });
    drop(guard); // flushes the non-blocking writer
    let names = file_names(&dir);
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(utc_file_names().contains(&names[0]), "{names:?}");
    let content = std::fs::read_to_string(dir.join(&names[0])).unwrap();
    let line: Value = serde_json::from_str(content.trim_end()).unwrap();
    assert_eq!(line["message"], "request completed");
    assert_eq!(line["request_id"], "6f1c2a8e-1b7d-4f0e-9a51-3c0d2b7e9f10");
    assert_eq!(line["password"], REDACTED);
    // The console stayed pretty and nothing was reported.
    assert!(console.text().contains("| request completed status=200"));
    assert_eq!(console.lines().len(), 1);
}

#[test]
fn retention_prunes_the_oldest_files_at_startup() {
    let tmp = tempfile::tempdir().unwrap();
    let old = [
        "2020-01-01",
        "2020-01-02",
        "2020-01-03",
        "2020-01-04",
        "2020-01-05",
    ];
    for date in old {
        std::fs::write(tmp.path().join(format!("warden.log.{date}")), "{}\n").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(15)); // distinct creation times
    }
    std::fs::write(tmp.path().join("unrelated.txt"), "x").unwrap();
    let mut appender = rolling_appender(tmp.path(), 3).unwrap();
    appender.write_all(b"{}\n").unwrap();
    let names = file_names(tmp.path());
    let today = names
        .iter()
        .filter(|n| utc_file_names().contains(n))
        .count();
    assert_eq!(today, 1, "{names:?}");
    assert!(
        names.contains(&"warden.log.2020-01-04".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"warden.log.2020-01-05".to_owned()),
        "{names:?}"
    );
    assert!(names.contains(&"unrelated.txt".to_owned()));
    assert_eq!(names.len(), 4, "3 log files + unrelated: {names:?}");
}

#[test]
fn unusable_log_dir_keeps_console_logging_and_reports_once() {
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("not-a-dir");
    std::fs::write(&blocker, "file").unwrap();
    let console = Capture::default();
    let errors = Capture::default();
    let reporter = Arc::new(FailureReporter::new(Box::new(errors.clone())));
    let (subscriber, guard) = build_subscriber(
        &settings(Some(&blocker.join("logs")), 30),
        BoxMakeWriter::new(console.clone()),
        false,
        reporter,
    )
    .unwrap();
    assert!(!guard.file_enabled());
    tracing::subscriber::with_default(subscriber, || {
        for i in 0..3 {
            tracing::info!(i, "still logging");
        }
    });
    assert_eq!(console.lines().len(), 3);
    let reported = errors.lines();
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert!(reported[0].contains("not-a-dir/logs"), "{reported:?}");
}

struct Broken;

impl Write for Broken {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::other("No space left on device"))
    }

    fn flush(&mut self) -> io::Result<()> {
        Err(io::Error::other("No space left on device"))
    }
}

#[test]
fn write_failures_are_swallowed_and_reported_once() {
    let errors = Capture::default();
    let reporter = Arc::new(FailureReporter::new(Box::new(errors.clone())));
    let mut writer = TolerantWriter::new(Broken, Path::new("/var/log/warden"), reporter);
    for _ in 0..5 {
        assert_eq!(writer.write(b"line\n").unwrap(), 5);
        writer.flush().unwrap();
    }
    let reported = errors.lines();
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert!(reported[0].contains("No space left"), "{reported:?}");
}

#[test]
fn disk_full_device_is_tolerated() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // not on Linux
    };
    let errors = Capture::default();
    let reporter = Arc::new(FailureReporter::new(Box::new(errors.clone())));
    let mut writer = TolerantWriter::new(full, Path::new("/dev"), reporter);
    for _ in 0..3 {
        writer.write_all(&[b'x'; 8192]).unwrap();
    }
    assert_eq!(errors.lines().len(), 1);
}

#[test]
fn invalid_settings_are_rejected_before_installing_anything() {
    let mut bad = settings(None, 30);
    bad.filter = "info,sqlx=loud".to_owned();
    assert!(matches!(
        init(&bad),
        Err(TelemetryError::InvalidFilter { .. })
    ));
    assert_eq!("JSON".parse::<LogFormat>().unwrap(), LogFormat::Json);
    assert_eq!(" pretty ".parse::<LogFormat>().unwrap(), LogFormat::Pretty);
    assert!("text".parse::<LogFormat>().is_err());
}

#[test]
fn only_spans_with_a_request_id_bypass_the_level_filter() {
    let out = capture_json(Some("warn"), || {
        let other = tracing::info_span!("request", uri = "/x?q=1");
        let _entered = other.enter();
        tracing::warn!("w");
    });
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].get("uri").is_none(), "{:?}", lines[0]);
}

#[test]
fn empty_log_dir_disables_file_output() {
    let console = Capture::default();
    let reporter = Arc::new(FailureReporter::new(Box::new(console.clone())));
    let (_subscriber, guard) = build_subscriber(
        &settings(Some(Path::new("")), 30),
        BoxMakeWriter::new(console.clone()),
        false,
        reporter,
    )
    .unwrap();
    assert!(!guard.file_enabled());
    assert!(console.text().is_empty());
}
