//! `LOG_LEVEL` handling: noisy-dependency defaults and a filter that always lets
//! the request span through (so WARN/ERROR lines keep their request id even when
//! `LOG_LEVEL=warn`).

use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber, span};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer};

use super::TelemetryError;

/// Dependencies that log at `warn` unless `LOG_LEVEL` names them.
pub const NOISY_TARGETS: &[&str] = &[
    "sqlx",
    "hyper",
    "tower",
    "h2",
    "rustls",
    "hyper_util",
    "reqwest",
];

/// Name of the per-request span whose fields are lifted into every line.
pub const REQUEST_SPAN_NAME: &str = "request";

/// Field that identifies the request span (tower-http's `request` span has none).
const REQUEST_ID_FIELD: &str = "request_id";

const LEVEL_WORDS: &[&str] = &["off", "error", "warn", "info", "debug", "trace"];

/// `LOG_LEVEL` plus `,<target>=warn` for every noisy target it does not mention.
pub fn filter_directives(log_level: &str) -> String {
    let mentioned = mentioned_targets(log_level);
    let mut directives = log_level.trim().to_owned();
    for noisy in NOISY_TARGETS {
        // A sub-module directive (`hyper::client=trace`) is more specific than
        // `hyper=warn`, so it still wins for that module.
        if !mentioned.iter().any(|t| t == noisy) {
            directives.push_str(&format!(",{noisy}=warn"));
        }
    }
    directives
}

/// Targets named by the directives of `log_level` (`info,sqlx=debug` → `["sqlx"]`).
fn mentioned_targets(log_level: &str) -> Vec<String> {
    log_level
        .split(',')
        .filter_map(|directive| {
            let (target, level) = match directive.split_once('=') {
                Some((target, level)) => (target, Some(level)),
                None => (directive, None),
            };
            let target = target.split('[').next().unwrap_or_default().trim();
            let bare_level = level.is_none() && is_level_word(target);
            (!target.is_empty() && !bare_level).then(|| target.to_owned())
        })
        .collect()
}

fn is_level_word(word: &str) -> bool {
    LEVEL_WORDS.iter().any(|l| l.eq_ignore_ascii_case(word)) || word.parse::<u8>().is_ok()
}

/// Parses `LOG_LEVEL` (a level or directives) into an [`EnvFilter`] with the
/// noisy-dependency defaults. Use it to validate the variable at config time.
pub fn build_filter(log_level: &str) -> Result<EnvFilter, TelemetryError> {
    if log_level.trim().is_empty() {
        return Err(invalid(log_level, "must not be empty"));
    }
    EnvFilter::builder()
        .parse(filter_directives(log_level))
        .map_err(|e| invalid(log_level, &e.to_string()))
}

fn invalid(value: &str, reason: &str) -> TelemetryError {
    TelemetryError::InvalidFilter {
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Global filter layer for `LOG_LEVEL`: an [`EnvFilter`] that additionally always
/// enables the request span (a span named `request` with a `request_id` field;
/// spans produce no output by themselves, only their fields are lifted).
#[derive(Debug)]
pub struct RequestAwareFilter {
    inner: EnvFilter,
}

/// Builds the [`RequestAwareFilter`] for `LOG_LEVEL`.
pub fn filter_layer(log_level: &str) -> Result<RequestAwareFilter, TelemetryError> {
    build_filter(log_level).map(|inner| RequestAwareFilter { inner })
}

/// A span named `request` declaring a `request_id` field.
fn is_request_span(metadata: &Metadata<'_>) -> bool {
    metadata.is_span()
        && metadata.name() == REQUEST_SPAN_NAME
        && metadata.fields().field(REQUEST_ID_FIELD).is_some()
}

impl<S: Subscriber> Layer<S> for RequestAwareFilter {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if is_request_span(metadata) {
            return Interest::always();
        }
        Layer::<S>::register_callsite(&self.inner, metadata)
    }

    fn enabled(&self, metadata: &Metadata<'_>, ctx: Context<'_, S>) -> bool {
        is_request_span(metadata) || Layer::<S>::enabled(&self.inner, metadata, ctx)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        // The request span may sit above the configured level.
        Some(LevelFilter::TRACE)
    }

    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        Layer::<S>::on_new_span(&self.inner, attrs, id, ctx);
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        Layer::<S>::on_record(&self.inner, id, values, ctx);
    }

    fn on_enter(&self, id: &span::Id, ctx: Context<'_, S>) {
        Layer::<S>::on_enter(&self.inner, id, ctx);
    }

    fn on_exit(&self, id: &span::Id, ctx: Context<'_, S>) {
        Layer::<S>::on_exit(&self.inner, id, ctx);
    }

    fn on_close(&self, id: span::Id, ctx: Context<'_, S>) {
        Layer::<S>::on_close(&self.inner, id, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noisy_targets_default_to_warn() {
        assert_eq!(
            filter_directives("info"),
            "info,sqlx=warn,hyper=warn,tower=warn,h2=warn,rustls=warn,hyper_util=warn,reqwest=warn"
        );
    }

    #[test]
    fn mentioned_targets_are_left_alone() {
        let d = filter_directives("debug,sqlx=info,hyper::client=trace,[request]=debug");
        assert!(!d.contains("sqlx=warn"));
        assert!(d.contains("hyper=warn")); // only hyper::client was named
        assert!(d.contains("tower=warn"));
        let d = filter_directives("hyper,tower=debug");
        assert!(!d.contains("hyper=warn") && !d.contains("tower=warn"));
        assert!(d.contains("hyper_util=warn"));
    }

    #[test]
    fn invalid_filters_are_rejected() {
        assert!(build_filter("info").is_ok());
        assert!(build_filter("INFO,sqlx=warn").is_ok());
        assert!(build_filter("   ").is_err());
        let err = build_filter("info,sqlx=loud").map(|_| ()).unwrap_err();
        assert!(err.to_string().contains("LOG_LEVEL"), "{err}");
    }
}
