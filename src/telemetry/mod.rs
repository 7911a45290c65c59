//! Logging: console output (pretty or JSON), daily JSON files,
//! request-span field lifting and redaction.
//!
//! Call [`init`] once at startup and keep the returned [`TelemetryGuard`]
//! alive until exit (dropping it flushes the file writer).

mod error;
mod fields;
mod file;
mod filter;
mod json;
mod layer;
mod log_throttle;
mod pretty;
mod redact;
#[cfg(test)]
mod tests;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use tracing::Subscriber;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::Registry;

pub use error::TelemetryError;
pub use file::FILE_PREFIX;
pub use filter::{
    NOISY_TARGETS, REQUEST_SPAN_NAME, RequestAwareFilter, build_filter, filter_directives,
    filter_layer,
};
pub use layer::{LineLayer, json_layer, pretty_layer};
pub use log_throttle::LogThrottle;
pub use redact::{REDACTED, SENSITIVE_KEYS, redact_url};

use file::{FailureReporter, open_file_output};

/// Console format (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

impl FromStr for LogFormat {
    type Err = TelemetryError;

    /// `pretty` or `json`, trimmed, case-insensitive.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "pretty" => Ok(Self::Pretty),
            "json" => Ok(Self::Json),
            _ => Err(TelemetryError::InvalidFormat(value.to_owned())),
        }
    }
}

/// Where console lines go: stdout for `serve`, stderr for every other command (whose stdout is their output).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleTarget {
    Stdout,
    Stderr,
}

/// Logging configuration (the `LOG_*` variables of docs/configuration.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// `LOG_LEVEL`: a level or directives such as `info,sqlx=warn`.
    pub filter: String,
    /// `LOG_FORMAT` (console only; files are always JSON).
    pub format: LogFormat,
    /// `LOG_DIR`; `None` (or an empty path) disables file output.
    pub dir: Option<PathBuf>,
    /// `LOG_RETENTION_DAYS`: daily files kept (0 is treated as 1).
    pub retention_days: usize,
    /// Console stream.
    pub console: ConsoleTarget,
}

/// Keeps the file writer alive; dropping it flushes pending lines.
#[must_use = "dropping the guard stops file logging"]
#[derive(Debug)]
pub struct TelemetryGuard {
    file: Option<WorkerGuard>,
}

impl TelemetryGuard {
    /// Whether log files are being written (false when `LOG_DIR` is unset or
    /// the directory could not be opened).
    pub fn file_enabled(&self) -> bool {
        self.file.is_some()
    }
}

/// Installs the global subscriber (once). A log directory that cannot be used
/// is reported once on stderr and logging continues on the console only.
pub fn init(settings: &LogSettings) -> Result<TelemetryGuard, TelemetryError> {
    let (writer, is_tty) = match settings.console {
        ConsoleTarget::Stdout => (
            BoxMakeWriter::new(std::io::stdout),
            std::io::stdout().is_terminal(),
        ),
        ConsoleTarget::Stderr => (
            BoxMakeWriter::new(std::io::stderr),
            std::io::stderr().is_terminal(),
        ),
    };
    let ansi = is_tty && std::env::var_os("NO_COLOR").is_none();
    let reporter = Arc::new(FailureReporter::stderr());
    let (subscriber, guard) = build_subscriber(settings, writer, ansi, reporter)?;
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|_| TelemetryError::AlreadyInitialized)?;
    Ok(guard)
}

/// The full subscriber of [`init`] with an explicit console writer, colour
/// choice and failure reporter (used by `init` and by tests).
fn build_subscriber(
    settings: &LogSettings,
    console: BoxMakeWriter,
    ansi: bool,
    reporter: Arc<FailureReporter>,
) -> Result<(impl Subscriber + Send + Sync + 'static, TelemetryGuard), TelemetryError> {
    let filter = filter_layer(&settings.filter)?;
    let console_layer = match settings.format {
        LogFormat::Json => json_layer(console),
        LogFormat::Pretty => pretty_layer(console, ansi),
    };
    let file = settings
        .dir
        .as_deref()
        .filter(|dir| !dir.as_os_str().is_empty())
        .and_then(|dir| open_file_output(dir, settings.retention_days, reporter));
    let (file_layer, file_guard) = match file {
        Some(output) => (Some(json_layer(output.writer)), Some(output.guard)),
        None => (None, None),
    };
    let subscriber = Registry::default()
        .with(filter)
        .with(console_layer)
        .with(file_layer);
    Ok((subscriber, TelemetryGuard { file: file_guard }))
}
