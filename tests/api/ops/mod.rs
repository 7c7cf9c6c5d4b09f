//! Health, readiness, security headers and static assets.

mod health;
