//! Settings from the environment (`KEYWARD_*`, `DATABASE_URL`), validated once at
//! start. A bad value stops the start with one line naming the variable.

use std::net::SocketAddr;

use crate::crypto::keys::KeyEncryptionKey;
pub use crate::db::DatabaseUrl;
use crate::oidc::discovery::validate_issuer;
use crate::util::net::TrustedProxies;

/// The default embedded database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "keyward.db";

/// A configuration value that failed validation: which variable, and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: '{value}' {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub value: String,
    pub problem: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: DatabaseUrl,
    /// The issuer when fixed by the environment; otherwise setup stores one.
    pub issuer: Option<String>,
    pub log_filter: String,
    pub db_pool_size: u32,
    pub bcrypt_cost: u32,
    /// Encrypts private signing keys at rest when set.
    pub key_encryption_key: Option<KeyEncryptionKey>,
    /// How often each instance checks the database for key and metadata changes.
    pub sync_interval_secs: u32,
    /// A preset setup code (KEYWARD_SETUP_CODE), for automated installs.
    pub setup_code: Option<String>,
    /// Serve /metrics without a token (KEYWARD_METRICS_PUBLIC=true).
    pub metrics_public: bool,
    /// Reverse proxies whose X-Forwarded-For / Forwarded headers are believed.
    pub trusted_proxies: TrustedProxies,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`, so tests need not touch the process
    /// environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |var: &'static str| lookup(var).filter(|v| !v.trim().is_empty());
        let fail = |var: &'static str, value: &str, problem: String| ConfigError {
            var,
            value: value.to_owned(),
            problem,
        };

        let bind = match get("KEYWARD_BIND") {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(v) => v.trim().parse().map_err(|_| {
                fail(
                    "KEYWARD_BIND",
                    &v,
                    "is not an address and port like 127.0.0.1:8080".into(),
                )
            })?,
        };
        let raw_db = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let database_url =
            DatabaseUrl::parse(&raw_db).map_err(|p| fail("DATABASE_URL", &redact(&raw_db), p))?;
        let issuer = match get("KEYWARD_ISSUER") {
            None => None,
            Some(v) => Some(validate_issuer(v.trim()).map_err(|p| fail("KEYWARD_ISSUER", &v, p))?),
        };
        let log_filter = get("KEYWARD_LOG").unwrap_or_else(|| "info".to_owned());
        tracing_subscriber::EnvFilter::try_new(&log_filter).map_err(|e| {
            fail(
                "KEYWARD_LOG",
                &log_filter,
                format!("is not a tracing filter ({e})"),
            )
        })?;
        let db_pool_size = parse_in_range(
            get("KEYWARD_DB_POOL_SIZE"),
            "KEYWARD_DB_POOL_SIZE",
            10,
            1..=200,
        )?;
        let bcrypt_cost = parse_in_range(
            get("KEYWARD_BCRYPT_COST"),
            "KEYWARD_BCRYPT_COST",
            12,
            4..=31,
        )?;
        let key_encryption_key = match get("KEYWARD_KEY_ENCRYPTION_KEY") {
            None => None,
            // The value is a secret: the error names the variable, not the value.
            Some(v) => Some(
                KeyEncryptionKey::parse(&v)
                    .map_err(|p| fail("KEYWARD_KEY_ENCRYPTION_KEY", "***", p))?,
            ),
        };
        let sync_interval_secs = parse_in_range(
            get("KEYWARD_SYNC_INTERVAL_SECS"),
            "KEYWARD_SYNC_INTERVAL_SECS",
            5,
            1..=60,
        )?;

        let setup_code = match get("KEYWARD_SETUP_CODE") {
            None => None,
            Some(v) if v.trim().len() >= 16 && !v.trim().contains(char::is_whitespace) => {
                Some(v.trim().to_owned())
            }
            Some(_) => {
                return Err(fail(
                    "KEYWARD_SETUP_CODE",
                    "***",
                    "must be at least 16 characters without spaces".into(),
                ))
            }
        };
        let metrics_public =
            match get("KEYWARD_METRICS_PUBLIC").map(|v| v.trim().to_ascii_lowercase()) {
                None => false,
                Some(v) if v == "true" || v == "1" || v == "yes" => true,
                Some(v) if v == "false" || v == "0" || v == "no" => false,
                Some(v) => {
                    return Err(fail(
                        "KEYWARD_METRICS_PUBLIC",
                        &v,
                        "must be true or false".into(),
                    ))
                }
            };
        let trusted_proxies = match get("KEYWARD_TRUSTED_PROXIES") {
            None => TrustedProxies::default(),
            Some(v) => TrustedProxies::parse(&v).map_err(|p| {
                fail(
                    "KEYWARD_TRUSTED_PROXIES",
                    v.trim(),
                    format!("is not accepted: {p}"),
                )
            })?,
        };
        Ok(Config {
            bind,
            database_url,
            issuer,
            log_filter,
            db_pool_size,
            bcrypt_cost,
            key_encryption_key,
            sync_interval_secs,
            setup_code,
            metrics_public,
            trusted_proxies,
        })
    }
}

fn parse_in_range(
    value: Option<String>,
    var: &'static str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, ConfigError> {
    let Some(v) = value else { return Ok(default) };
    match v.trim().parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(ConfigError {
            var,
            value: v,
            problem: format!(
                "is not a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        }),
    }
}

fn redact(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_use_sqlite_on_loopback() {
        let c = config(&[]).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, DatabaseUrl::Sqlite("keyward.db".into()));
        assert_eq!(c.issuer, None);
        assert_eq!(c.bcrypt_cost, 12);
    }

    #[test]
    fn database_url_scheme_picks_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u:p@db/keyward").unwrap(),
            DatabaseUrl::Postgres("postgres://u:p@db/keyward".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/k.db").unwrap(),
            DatabaseUrl::Sqlite("data/k.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/k.db").unwrap(),
            DatabaseUrl::Sqlite("/var/k.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("k.db").unwrap(),
            DatabaseUrl::Sqlite("k.db".into())
        );
        assert!(DatabaseUrl::parse("mysql://x/y")
            .unwrap_err()
            .contains("unsupported scheme 'mysql'"));
        assert!(DatabaseUrl::parse("postgres:///nohost").is_err());
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = config(&[("KEYWARD_BIND", "localhost")]).unwrap_err();
        assert_eq!(e.var, "KEYWARD_BIND");
        assert!(e
            .to_string()
            .starts_with("KEYWARD_BIND: 'localhost' is not an address"));
        assert_eq!(
            config(&[("KEYWARD_BCRYPT_COST", "3")]).unwrap_err().var,
            "KEYWARD_BCRYPT_COST"
        );
        assert_eq!(
            config(&[("KEYWARD_LOG", "info,=[")]).unwrap_err().var,
            "KEYWARD_LOG"
        );
        let e = config(&[("DATABASE_URL", "redis://u:secret@h/0")]).unwrap_err();
        assert_eq!(e.var, "DATABASE_URL");
        assert!(!e.to_string().contains("secret"), "{e}");
        let e = config(&[("KEYWARD_KEY_ENCRYPTION_KEY", "too-short-secret")]).unwrap_err();
        assert_eq!(e.var, "KEYWARD_KEY_ENCRYPTION_KEY");
        assert!(!e.to_string().contains("too-short-secret"), "{e}");
        let ok = config(&[("KEYWARD_KEY_ENCRYPTION_KEY", &"0f".repeat(32))]).unwrap();
        assert!(ok.key_encryption_key.is_some());
        let e = config(&[("KEYWARD_SYNC_INTERVAL_SECS", "0")]).unwrap_err();
        assert_eq!(e.var, "KEYWARD_SYNC_INTERVAL_SECS");
        assert!(!config(&[]).unwrap().metrics_public);
        let e = config(&[("KEYWARD_TRUSTED_PROXIES", "10.0.0.1,nope")]).unwrap_err();
        assert_eq!(e.var, "KEYWARD_TRUSTED_PROXIES");
        assert!(e.to_string().contains("'nope'"), "{e}");
        let ok = config(&[("KEYWARD_TRUSTED_PROXIES", "10.0.0.0/8")]).unwrap();
        assert!(!ok.trusted_proxies.is_empty());
        assert!(
            config(&[("KEYWARD_METRICS_PUBLIC", "true")])
                .unwrap()
                .metrics_public
        );
        assert!(
            !config(&[("KEYWARD_METRICS_PUBLIC", "false")])
                .unwrap()
                .metrics_public
        );
        let e = config(&[("KEYWARD_METRICS_PUBLIC", "sure")]).unwrap_err();
        assert_eq!(e.var, "KEYWARD_METRICS_PUBLIC");
    }

    #[test]
    fn issuer_rules() {
        assert_eq!(
            validate_issuer("https://id.example.com/").unwrap(),
            "https://id.example.com/"
        );
        assert_eq!(
            validate_issuer("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            validate_issuer("http://localhost:8080/kw").unwrap(),
            "http://localhost:8080/kw"
        );
        assert!(validate_issuer("http://id.example.com").is_err());
        assert!(validate_issuer("https://id.example.com/?a=b").is_err());
        assert!(validate_issuer("https://id.example.com/#f").is_err());
        assert!(validate_issuer("id.example.com").is_err());
        assert!(validate_issuer("ftp://id.example.com").is_err());
        assert_eq!(
            config(&[("KEYWARD_ISSUER", "http://evil.example")])
                .unwrap_err()
                .var,
            "KEYWARD_ISSUER"
        );
    }
}
