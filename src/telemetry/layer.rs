//! The line-writing layer shared by the JSON and pretty formats.

use std::io::Write;

use chrono::{DateTime, Utc};
use tracing::{Event, Level, Subscriber, span};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::fields::{FieldMap, FieldVisitor, SpanFields};
use super::{json, pretty};

/// Everything a formatter needs to render one event.
#[derive(Debug)]
pub struct EventRecord<'a> {
    pub timestamp: DateTime<Utc>,
    pub level: &'a Level,
    pub target: &'a str,
    /// Fields of the event itself (`message` included).
    pub fields: FieldMap,
    /// Fields of all spans in scope, root first (inner spans win on equal keys).
    pub spans: FieldMap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Json,
    Pretty { ansi: bool },
}

/// A [`Layer`] writing one line per event (JSON or pretty) to `W`.
///
/// It stores span fields in the span extensions (idempotently, so several
/// `LineLayer`s can share one registry) and lifts them into every event line.
#[derive(Debug)]
pub struct LineLayer<W> {
    make_writer: W,
    style: Style,
}

/// A layer writing one JSON object per line.
pub fn json_layer<W>(make_writer: W) -> LineLayer<W>
where
    W: for<'w> MakeWriter<'w> + 'static,
{
    LineLayer {
        make_writer,
        style: Style::Json,
    }
}

/// A layer writing human-readable lines, coloured when `ansi`.
pub fn pretty_layer<W>(make_writer: W, ansi: bool) -> LineLayer<W>
where
    W: for<'w> MakeWriter<'w> + 'static,
{
    LineLayer {
        make_writer,
        style: Style::Pretty { ansi },
    }
}

impl<S, W> Layer<S> for LineLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if extensions.get_mut::<SpanFields>().is_some() {
            return; // another LineLayer already stored them
        }
        let mut fields = FieldMap::default();
        attrs.record(&mut FieldVisitor::new(&mut fields));
        extensions.insert(SpanFields(fields));
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        match extensions.get_mut::<SpanFields>() {
            Some(stored) => values.record(&mut FieldVisitor::new(&mut stored.0)),
            None => {
                let mut fields = FieldMap::default();
                values.record(&mut FieldVisitor::new(&mut fields));
                extensions.insert(SpanFields(fields));
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        let mut fields = FieldMap::default();
        event.record(&mut FieldVisitor::new(&mut fields));
        let record = EventRecord {
            timestamp: Utc::now(),
            level: metadata.level(),
            target: metadata.target(),
            fields,
            spans: span_fields(event, &ctx),
        };
        let line = match self.style {
            Style::Json => json::render(&record),
            Style::Pretty { ansi } => pretty::render(&record, ansi),
        };
        // A console or file that cannot be written must never disturb the service.
        let _ = self
            .make_writer
            .make_writer_for(metadata)
            .write_all(line.as_bytes());
    }
}

/// Merges the stored fields of every span in the event's scope, root first.
fn span_fields<S>(event: &Event<'_>, ctx: &Context<'_, S>) -> FieldMap
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let mut merged = FieldMap::default();
    if let Some(scope) = ctx.event_scope(event) {
        for span in scope.from_root() {
            if let Some(stored) = span.extensions().get::<SpanFields>() {
                merged.merge(&stored.0);
            }
        }
    }
    merged
}
