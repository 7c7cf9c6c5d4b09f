//! `keyward settings`: show and change the server-wide settings, by the
//! rules of the Settings page and the admin API (`crate::idm::site`).

use clap::Subcommand;

use crate::db::DbConn;
use crate::idm::site;
use crate::store::audit::Actor;

#[derive(Subcommand)]
pub enum SettingsCommand {
    /// Print the settings in force.
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Change some settings; the others stay as they are. Lifetimes in
    /// seconds, retention in days.
    Set {
        #[arg(long)]
        org_name: Option<String>,
        #[arg(long, value_name = "SECONDS")]
        default_access_token_ttl: Option<i64>,
        #[arg(long, value_name = "SECONDS")]
        default_refresh_token_ttl: Option<i64>,
        #[arg(long, value_name = "SECONDS")]
        session_idle_timeout: Option<i64>,
        #[arg(long, value_name = "SECONDS")]
        session_lifetime: Option<i64>,
        #[arg(long, value_name = "SECONDS")]
        session_remember_lifetime: Option<i64>,
        #[arg(long, value_name = "DAYS")]
        audit_retention_days: Option<i64>,
        #[arg(long)]
        json: bool,
    },
}

fn print(s: &site::SiteSettings, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(s)?);
        return Ok(());
    }
    println!("org_name:                  {}", s.org_name);
    println!(
        "issuer:                    {}",
        s.issuer.as_deref().unwrap_or("(not set)")
    );
    println!(
        "default_access_token_ttl:  {} s",
        s.default_access_token_ttl
    );
    println!(
        "default_refresh_token_ttl: {} s",
        s.default_refresh_token_ttl
    );
    println!("session_idle_timeout:      {} s", s.session_idle_timeout);
    println!("session_lifetime:          {} s", s.session_lifetime);
    println!(
        "session_remember_lifetime: {} s",
        s.session_remember_lifetime
    );
    println!("audit_retention_days:      {}", s.audit_retention_days);
    Ok(())
}

pub fn run(conn: &mut DbConn, cmd: SettingsCommand) -> anyhow::Result<()> {
    match cmd {
        SettingsCommand::Show { json } => print(&site::load(conn)?, json),
        SettingsCommand::Set {
            org_name,
            default_access_token_ttl,
            default_refresh_token_ttl,
            session_idle_timeout,
            session_lifetime,
            session_remember_lifetime,
            audit_retention_days,
            json,
        } => {
            let now = site::load(conn)?;
            let changes = site::Changes {
                org_name: org_name.as_deref().unwrap_or(&now.org_name),
                issuer: None,
                default_access_token_ttl: default_access_token_ttl
                    .unwrap_or(now.default_access_token_ttl),
                default_refresh_token_ttl: default_refresh_token_ttl
                    .unwrap_or(now.default_refresh_token_ttl),
                session_idle_timeout,
                session_lifetime,
                session_remember_lifetime,
                audit_retention_days,
            };
            let saved = site::save(conn, &changes, &Actor::cli())?;
            print(&saved, json)
        }
    }
}
