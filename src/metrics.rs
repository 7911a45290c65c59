//! Prometheus metrics, one registry per application instance (tests run several apps in
//! one process, so nothing here is global).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The `method` label values (docs/operations.md, "Connections and client limits"); every other
/// method is `OTHER`, so a client cannot mint series by inventing methods.
const LABELLED_METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"];
const OTHER_METHOD: &str = "OTHER";

/// The `method` label of a request: HEAD is counted as GET (as for rate limits), a standard
/// method is itself, anything else `OTHER`.
pub fn method_label(method: &http::Method) -> &'static str {
    if method == http::Method::HEAD {
        return "GET";
    }
    LABELLED_METHODS
        .into_iter()
        .find(|known| *known == method.as_str())
        .unwrap_or(OTHER_METHOD)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: &'static str,
    pub route: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: &'static str,
    pub route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteOnly {
    pub route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventLabel {
    pub event: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FromLabel {
    pub from: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    pub state: &'static str,
}

/// `kind` = the message kind; `outcome` = `sent` | `failed` (one attempt) | `dropped` (given up).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MailLabels {
    pub kind: &'static str,
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildLabels {
    pub version: &'static str,
    pub env: &'static str,
}

const DURATION_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<RequestLabels, Counter>,
    pub http_duration: Family<RouteLabels, Histogram>,
    pub in_flight: Gauge,
    pub pool_connections: Family<StateLabel, Gauge>,
    pub pool_max: Gauge,
    pub rate_limit_rejections: Family<RouteOnly, Counter>,
    pub rate_limit_storage_errors: Counter,
    pub logins: Counter,
    pub auth_failures: Family<ReasonLabel, Counter>,
    pub sessions_revoked: Family<ReasonLabel, Counter>,
    pub password_rehashes: Family<FromLabel, Counter>,
    pub hash_queue_rejections: Counter,
    pub account_throttles: Counter,
    pub audit_events: Family<EventLabel, Counter>,
    pub mail_messages: Family<MailLabels, Counter>,
}

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

impl Metrics {
    pub fn new(version: &'static str, env: &'static str) -> Self {
        let mut registry = Registry::with_prefix("warden");
        let build_info = Family::<BuildLabels, Gauge>::default();
        build_info
            .get_or_create(&BuildLabels { version, env })
            .set(1);
        registry.register("build_info", "Build and runtime information", build_info);
        let metrics = Self {
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(duration_histogram),
            in_flight: Gauge::default(),
            pool_connections: Family::default(),
            pool_max: Gauge::default(),
            rate_limit_rejections: Family::default(),
            rate_limit_storage_errors: Counter::default(),
            logins: Counter::default(),
            auth_failures: Family::default(),
            sessions_revoked: Family::default(),
            password_rehashes: Family::default(),
            hash_queue_rejections: Counter::default(),
            account_throttles: Counter::default(),
            audit_events: Family::default(),
            mail_messages: Family::default(),
            registry,
        };
        metrics.register_all()
    }

    fn register_all(mut self) -> Self {
        let r = &mut self.registry;
        r.register(
            "http_requests",
            "HTTP responses sent",
            self.http_requests.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            self.http_duration.clone(),
        );
        r.register(
            "http_requests_in_flight",
            "Requests being processed",
            self.in_flight.clone(),
        );
        r.register(
            "db_pool_connections",
            "Database pool connections by state",
            self.pool_connections.clone(),
        );
        r.register(
            "db_pool_max_connections",
            "Maximum size of the database pool",
            self.pool_max.clone(),
        );
        r.register(
            "rate_limit_rejections",
            "Requests answered 429",
            self.rate_limit_rejections.clone(),
        );
        r.register(
            "rate_limit_storage_errors",
            "Rate-limit store failures",
            self.rate_limit_storage_errors.clone(),
        );
        r.register("auth_logins", "Successful logins", self.logins.clone());
        r.register(
            "auth_failures",
            "Failed authentication or authorization",
            self.auth_failures.clone(),
        );
        r.register(
            "sessions_revoked",
            "Sessions revoked",
            self.sessions_revoked.clone(),
        );
        r.register(
            "password_rehashes",
            "Password hashes upgraded on login",
            self.password_rehashes.clone(),
        );
        r.register(
            "hash_queue_rejections",
            "Requests answered 503 because the password-hashing queue was full",
            self.hash_queue_rejections.clone(),
        );
        r.register(
            "account_throttles",
            "Emails whose failed logins reached the per-account limit",
            self.account_throttles.clone(),
        );
        r.register(
            "audit_events",
            "Security audit events recorded",
            self.audit_events.clone(),
        );
        r.register(
            "mail_messages",
            "Account e-mails by kind and outcome",
            self.mail_messages.clone(),
        );
        self
    }

    pub fn audit_event(&self, event: &'static str) {
        self.audit_events.get_or_create(&EventLabel { event }).inc();
    }

    pub fn auth_failure(&self, reason: &'static str) {
        self.auth_failures
            .get_or_create(&ReasonLabel { reason })
            .inc();
    }

    pub fn session_revoked(&self, reason: &'static str) {
        self.sessions_revoked
            .get_or_create(&ReasonLabel { reason })
            .inc();
    }

    /// Text exposition format 0.0.4, with the pool gauges refreshed first.
    pub fn render(&self, pool: (u64, u64, u64)) -> String {
        let (idle, in_use, max) = pool;
        let as_gauge = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.pool_connections
            .get_or_create(&StateLabel { state: "idle" })
            .set(as_gauge(idle));
        self.pool_connections
            .get_or_create(&StateLabel { state: "in_use" })
            .set(as_gauge(in_use));
        self.pool_max.set(as_gauge(max));
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        to_text_format_004(&out)
    }
}

/// Turn the encoder's OpenMetrics text into format 0.0.4: there, `# HELP`/`# TYPE` must name a
/// counter exactly as its samples do (`..._total`), or parsers treat the samples as untyped and
/// keep one series of each; and the `# EOF` trailer does not exist.
fn to_text_format_004(openmetrics: &str) -> String {
    let counters: Vec<&str> = openmetrics
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .filter(|name| !name.ends_with("_total"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len() + 8 * counters.len());
    for line in openmetrics.lines().filter(|line| *line != "# EOF") {
        out.push_str(&declare_as_sampled(line, &counters));
        out.push('\n');
    }
    out
}

/// A `# HELP name` or `# TYPE name` line of a counter, renamed to `name_total`.
fn declare_as_sampled(line: &str, counters: &[&str]) -> String {
    for keyword in ["# HELP ", "# TYPE "] {
        let Some(rest) = line.strip_prefix(keyword) else {
            continue;
        };
        let name = rest.split(' ').next().unwrap_or_default();
        if counters.contains(&name) {
            return format!("{keyword}{name}_total{}", &rest[name.len()..]);
        }
    }
    line.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_declared_with_the_name_of_their_samples() {
        let openmetrics = "# HELP warden_auth_logins Successful logins.\n\
            # TYPE warden_auth_logins counter\n\
            warden_auth_logins_total 3\n\
            # HELP warden_pool Pool.\n\
            # TYPE warden_pool gauge\n\
            warden_pool 1\n\
            # EOF\n";
        assert_eq!(
            to_text_format_004(openmetrics),
            "# HELP warden_auth_logins_total Successful logins.\n\
            # TYPE warden_auth_logins_total counter\n\
            warden_auth_logins_total 3\n\
            # HELP warden_pool Pool.\n\
            # TYPE warden_pool gauge\n\
            warden_pool 1\n"
        );
    }

    #[test]
    fn only_standard_methods_are_labels_of_their_own() {
        let label = |m: &str| method_label(&http::Method::from_bytes(m.as_bytes()).unwrap());
        assert_eq!(label("GET"), "GET");
        assert_eq!(label("HEAD"), "GET");
        assert_eq!(label("PATCH"), "PATCH");
        assert_eq!(label("OPTIONS"), "OPTIONS");
        assert_eq!(label("M0000001"), "OTHER");
        assert_eq!(label("get"), "OTHER");
        assert_eq!(label("CONNECT"), "OTHER");
    }
}
