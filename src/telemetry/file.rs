//! JSON log files: `<dir>/warden.log.YYYY-MM-DD` (UTC), daily rotation,
//! retention, and a writer that never fails the service.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_appender::rolling::{InitError, RollingFileAppender, Rotation};

/// File name prefix; tracing-appender appends `.YYYY-MM-DD`.
pub const FILE_PREFIX: &str = "warden.log";

/// Prints one failure message, once per process (or per reporter).
pub struct FailureReporter {
    reported: AtomicBool,
    out: Mutex<Box<dyn Write + Send>>,
}

impl FailureReporter {
    /// A reporter writing to stderr.
    pub fn stderr() -> Self {
        Self::new(Box::new(io::stderr()))
    }

    /// A reporter writing to `out`.
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Self {
            reported: AtomicBool::new(false),
            out: Mutex::new(out),
        }
    }

    /// Writes `message` and a newline unless something was reported before.
    /// Returns whether this call wrote.
    pub fn report_once(&self, message: &str) -> bool {
        if self.reported.swap(true, Ordering::AcqRel) {
            return false;
        }
        if let Ok(mut out) = self.out.lock() {
            let _ = writeln!(out, "{message}");
            let _ = out.flush();
        }
        true
    }
}

/// Wraps the file writer: errors (disk full, file gone…) are reported once and
/// otherwise swallowed, so logging never fails or spams.
pub struct TolerantWriter<W> {
    inner: W,
    dir: PathBuf,
    reporter: Arc<FailureReporter>,
}

impl<W> TolerantWriter<W> {
    pub fn new(inner: W, dir: &Path, reporter: Arc<FailureReporter>) -> Self {
        Self {
            inner,
            dir: dir.to_path_buf(),
            reporter,
        }
    }

    fn report(&self, error: &io::Error) {
        self.reporter.report_once(&format!(
            "warden: cannot write log file in {}: {error}; console logging continues",
            self.dir.display()
        ));
    }
}

impl<W: Write> Write for TolerantWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Err(error) = self.inner.write_all(buf) {
            self.report(&error);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Err(error) = self.inner.flush() {
            self.report(&error);
        }
        Ok(())
    }
}

/// The open file output: a non-blocking writer and the guard that flushes it.
pub struct FileOutput {
    pub writer: NonBlocking,
    pub guard: WorkerGuard,
}

/// Daily-rotating appender for `dir` keeping at most `retention_days` files
/// (at least 1). Creates `dir` if missing.
pub fn rolling_appender(
    dir: &Path,
    retention_days: usize,
) -> Result<RollingFileAppender, InitError> {
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(FILE_PREFIX)
        .max_log_files(retention_days.max(1))
        .build(dir)
}

/// Opens the file output, or reports the failure once and returns `None`.
pub fn open_file_output(
    dir: &Path,
    retention_days: usize,
    reporter: Arc<FailureReporter>,
) -> Option<FileOutput> {
    // Create the directory first: the appender prunes old files before it
    // creates the directory, which would print a spurious error.
    let opened = std::fs::create_dir_all(dir)
        .map_err(|e| e.to_string())
        .and_then(|()| rolling_appender(dir, retention_days).map_err(|e| e.to_string()));
    match opened {
        Ok(appender) => {
            let tolerant = TolerantWriter::new(appender, dir, reporter);
            let (writer, guard) = NonBlockingBuilder::default()
                .thread_name("warden-log-file")
                .finish(tolerant);
            Some(FileOutput { writer, guard })
        }
        Err(error) => {
            reporter.report_once(&format!(
                "warden: cannot open log directory {}: {error}; file logging disabled, console logging continues",
                dir.display()
            ));
            None
        }
    }
}
