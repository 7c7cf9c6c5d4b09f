//! Operations: liveness and readiness, and the Prometheus scrape endpoint.

pub mod health;
pub mod metrics;
