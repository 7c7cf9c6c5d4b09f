//! Counters and latency histograms, rendered in the Prometheus text
//! exposition format (version 0.0.4) by GET /metrics. Each instance counts
//! what it served; Prometheus sums across instances.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the request latency buckets.
const BUCKETS: [f64; 12] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// A counter with labels: label values in, count out.
#[derive(Default)]
struct Family {
    values: Mutex<BTreeMap<Vec<String>, u64>>,
}

impl Family {
    fn add(&self, labels: &[&str]) {
        let mut values = self.values.lock().unwrap_or_else(|p| p.into_inner());
        let key: Vec<String> = labels.iter().map(|s| (*s).to_owned()).collect();
        *values.entry(key).or_insert(0) += 1;
    }

    fn snapshot(&self) -> Vec<(Vec<String>, u64)> {
        let values = self.values.lock().unwrap_or_else(|p| p.into_inner());
        values.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }
}

#[derive(Clone, Default)]
struct Histogram {
    /// Cumulative counts are computed when rendering; these are per bucket.
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// What Keyward counts. Shared by every worker through `AppState`.
#[derive(Default)]
pub struct Metrics {
    tokens_issued: Family,
    token_errors: Family,
    logins: Family,
    consents: Family,
    introspections: Family,
    revocations: Family,
    api_refused: Family,
    requests: Mutex<BTreeMap<(String, String), Histogram>>,
}

/// Values read at scrape time from elsewhere (database, pool).
#[derive(Debug, Default, Clone)]
pub struct Gauges {
    /// Signing keys by status (`active`, `retired`, `revoked`).
    pub signing_keys: Vec<(String, i64)>,
    /// Live sessions with a signed-in person, and without (a sign-in form open).
    pub sessions_signed_in: i64,
    pub sessions_anonymous: i64,
    pub pool_connections: u32,
    pub pool_idle: u32,
    pub pool_max: u32,
}

impl Metrics {
    /// One token handed out: `grant` is the grant type, `kind` access,
    /// refresh or id, `format` opaque or jwt.
    pub fn token_issued(&self, grant: &str, kind: &str, format: &str) {
        self.tokens_issued.add(&[grant, kind, format]);
    }

    /// The token endpoint refused a request with this RFC 6749 error code.
    pub fn token_error(&self, error: &str) {
        self.token_errors.add(&[error]);
    }

    /// A sign-in attempt: `success`, `failure` or `throttled`.
    pub fn login(&self, outcome: &str) {
        self.logins.add(&[outcome]);
    }

    /// A consent decision: `allow` or `deny`.
    pub fn consent(&self, decision: &str) {
        self.consents.add(&[decision]);
    }

    /// An introspection answered `active` true or false.
    pub fn introspection(&self, active: bool) {
        self.introspections
            .add(&[if active { "true" } else { "false" }]);
    }

    /// A revocation request; `revoked` says whether it ended a live token.
    pub fn revocation(&self, revoked: bool) {
        self.revocations
            .add(&[if revoked { "true" } else { "false" }]);
    }

    /// An admin API call refused before anyone was authenticated.
    pub fn api_refused(&self) {
        self.api_refused.add(&[]);
    }

    /// One request served by `route` (the matched pattern) with `status`.
    pub fn request(&self, route: &str, status: u16, took: Duration) {
        let seconds = took.as_secs_f64();
        let class = format!("{}xx", status / 100);
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let h = requests.entry((route.to_owned(), class)).or_default();
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            h.buckets[i] += 1;
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// The exposition text.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::with_capacity(8 * 1024);
        counter(
            &mut out,
            "keyward_tokens_issued_total",
            "Tokens issued, by grant type, kind and format.",
            &["grant", "kind", "format"],
            &self.tokens_issued.snapshot(),
        );
        counter(
            &mut out,
            "keyward_token_errors_total",
            "Token endpoint errors, by OAuth error code.",
            &["error"],
            &self.token_errors.snapshot(),
        );
        counter(
            &mut out,
            "keyward_logins_total",
            "Sign-in attempts, by outcome.",
            &["outcome"],
            &self.logins.snapshot(),
        );
        counter(
            &mut out,
            "keyward_consents_total",
            "Consent decisions, by decision.",
            &["decision"],
            &self.consents.snapshot(),
        );
        counter(
            &mut out,
            "keyward_introspections_total",
            "Introspection requests, by whether the token was active.",
            &["active"],
            &self.introspections.snapshot(),
        );
        counter(
            &mut out,
            "keyward_revocations_total",
            "Revocation requests, by whether they ended a live token.",
            &["revoked"],
            &self.revocations.snapshot(),
        );
        counter(
            &mut out,
            "keyward_api_refused_total",
            "Admin API calls refused without a valid credential.",
            &[],
            &self.api_refused.snapshot(),
        );
        let (retried, gave_up) = crate::db::contention_counts();
        counter(
            &mut out,
            "keyward_db_transaction_retries_total",
            "Transactions run again after losing to a concurrent one (deadlock, serialization failure, a locked SQLite database), and those that lost every time (answered 503).",
            &["outcome"],
            &[
                (vec!["retried".to_owned()], retried),
                (vec!["gave_up".to_owned()], gave_up),
            ],
        );

        let _ = writeln!(
            out,
            "# HELP keyward_http_request_duration_seconds Request latency, by route and status class.\n\
             # TYPE keyward_http_request_duration_seconds histogram"
        );
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for ((route, class), h) in &requests {
            let labels = format!("route=\"{}\",status=\"{}\"", escape(route), class);
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(h.buckets.iter()) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "keyward_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "keyward_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n\
                 keyward_http_request_duration_seconds_sum{{{labels}}} {}\n\
                 keyward_http_request_duration_seconds_count{{{labels}}} {}",
                h.count, h.sum, h.count
            );
        }

        let _ = writeln!(
            out,
            "# HELP keyward_signing_keys Signing keys, by status.\n# TYPE keyward_signing_keys gauge"
        );
        for status in ["active", "retired", "revoked"] {
            let n = gauges
                .signing_keys
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            let _ = writeln!(out, "keyward_signing_keys{{status=\"{status}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP keyward_sessions Live sessions, by whether someone is signed in.\n\
             # TYPE keyward_sessions gauge\n\
             keyward_sessions{{state=\"signed_in\"}} {}\n\
             keyward_sessions{{state=\"anonymous\"}} {}",
            gauges.sessions_signed_in, gauges.sessions_anonymous
        );
        let _ = writeln!(
            out,
            "# HELP keyward_db_pool_connections Database pool connections, by state.\n\
             # TYPE keyward_db_pool_connections gauge\n\
             keyward_db_pool_connections{{state=\"idle\"}} {}\n\
             keyward_db_pool_connections{{state=\"in_use\"}} {}\n\
             # HELP keyward_db_pool_max_connections The pool's size limit.\n\
             # TYPE keyward_db_pool_max_connections gauge\n\
             keyward_db_pool_max_connections {}",
            gauges.pool_idle,
            gauges.pool_connections.saturating_sub(gauges.pool_idle),
            gauges.pool_max
        );
        out
    }
}

fn counter(
    out: &mut String,
    name: &str,
    help: &str,
    labels: &[&str],
    values: &[(Vec<String>, u64)],
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
    for (values, n) in values {
        let pairs: Vec<String> = labels
            .iter()
            .zip(values)
            .map(|(l, v)| format!("{l}=\"{}\"", escape(v)))
            .collect();
        if pairs.is_empty() {
            let _ = writeln!(out, "{name} {n}");
        } else {
            let _ = writeln!(out, "{name}{{{}}} {n}", pairs.join(","));
        }
    }
}

/// Label values escape backslash, double quote and newline.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let m = Metrics::default();
        m.token_issued("client_credentials", "access", "opaque");
        m.token_issued("client_credentials", "access", "opaque");
        m.token_error("invalid_grant");
        m.login("failure");
        m.request("/token", 200, Duration::from_micros(700));
        m.request("/token", 200, Duration::from_secs(9));
        let text = m.render(&Gauges {
            signing_keys: vec![("active".into(), 2)],
            sessions_signed_in: 4,
            sessions_anonymous: 1,
            pool_connections: 3,
            pool_idle: 1,
            pool_max: 10,
        });
        assert!(text.contains(
            "keyward_tokens_issued_total{grant=\"client_credentials\",kind=\"access\",format=\"opaque\"} 2"
        ));
        assert!(text.contains("keyward_token_errors_total{error=\"invalid_grant\"} 1"));
        assert!(text.contains("keyward_logins_total{outcome=\"failure\"} 1"));
        assert!(text.contains("keyward_sessions{state=\"signed_in\"} 4"));
        // 0.7 ms falls in the 1 ms bucket; 9 s only in +Inf.
        assert!(text.contains(
            "keyward_http_request_duration_seconds_bucket{route=\"/token\",status=\"2xx\",le=\"0.0005\"} 0"
        ));
        assert!(text.contains(
            "keyward_http_request_duration_seconds_bucket{route=\"/token\",status=\"2xx\",le=\"0.001\"} 1"
        ));
        assert!(text.contains(
            "keyward_http_request_duration_seconds_bucket{route=\"/token\",status=\"2xx\",le=\"2.5\"} 1"
        ));
        assert!(text.contains(
            "keyward_http_request_duration_seconds_bucket{route=\"/token\",status=\"2xx\",le=\"+Inf\"} 2"
        ));
        assert!(text.contains(
            "keyward_http_request_duration_seconds_count{route=\"/token\",status=\"2xx\"} 2"
        ));
        assert!(text.contains("keyward_signing_keys{status=\"active\"} 2"));
        assert!(text.contains("keyward_signing_keys{status=\"revoked\"} 0"));
        assert!(text.contains("keyward_db_pool_connections{state=\"in_use\"} 2"));
        assert!(text.contains("keyward_db_pool_max_connections 10"));
        // Every sample line is "name{labels} value" or "name value".
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
