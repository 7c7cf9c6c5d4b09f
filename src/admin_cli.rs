//! `keyward scope ...` and `keyward apikey ...`: the admin API's and pages'
//! scope and API-key rules from the command line, for scripting (`--json` on
//! every listing).

use clap::Subcommand;
use keyward::db::DbConn;
use keyward::idm::api_keys;
use keyward::idm::scopes;
use keyward::store;
use keyward::store::audit::Actor;

#[derive(Subcommand)]
pub enum ScopeCommand {
    /// List scopes with their claims.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Create a scope, or change its description and (custom scopes) claims.
    Set {
        /// e.g. api:read
        name: String,
        #[arg(long)]
        description: String,
        /// Claims it releases, e.g. "groups department".
        #[arg(long, default_value = "")]
        claims: String,
    },
    /// Delete a custom scope that no client allows.
    Delete { name: String },
}

#[derive(Subcommand)]
pub enum ApiKeyCommand {
    /// Create an admin API key; prints it once (with --json as {"key": ...}).
    Create {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// List API keys (never the keys themselves).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key by its id; it stops working at once.
    Revoke { id: String },
}

pub fn scope(conn: &mut DbConn, cmd: ScopeCommand) -> anyhow::Result<()> {
    match cmd {
        ScopeCommand::List { json } => {
            let all = store::scopes::list(conn)?;
            if json {
                let rows: Vec<_> = all
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "name": s.name, "description": s.description,
                            "claims": s.claim_names(), "builtin": s.builtin,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                println!(
                    "{:<20} {:<8} {:<40} DESCRIPTION",
                    "NAME", "BUILTIN", "CLAIMS"
                );
                for s in all {
                    println!(
                        "{:<20} {:<8} {:<40} {}",
                        s.name,
                        if s.builtin { "yes" } else { "no" },
                        s.claim_names().join(" "),
                        s.description
                    );
                }
            }
        }
        ScopeCommand::Set {
            name,
            description,
            claims,
        } => {
            let actor = Actor::cli();
            if store::scopes::find(conn, &name)?.is_some() {
                scopes::update(conn, &name, &description, &claims, &actor)?;
                println!("updated scope {name}");
            } else {
                scopes::create(conn, &name, &description, &claims, &actor)?;
                println!("created scope {name}");
            }
        }
        ScopeCommand::Delete { name } => {
            scopes::delete(conn, &name, &Actor::cli())?;
            println!("deleted scope {name}");
        }
    }
    Ok(())
}

pub fn apikey(conn: &mut DbConn, cmd: ApiKeyCommand) -> anyhow::Result<()> {
    match cmd {
        ApiKeyCommand::Create { name, json } => {
            let (row, key) = api_keys::create(conn, &name, &Actor::cli())?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "id": row.id, "name": row.name, "key": key.expose() })
                );
            } else {
                println!("id:   {}", row.id);
                println!("key:  {}", key.expose());
                println!(
                    "(shown once: send it as `Authorization: Bearer KEY` or `X-Admin-Token: KEY`)"
                );
            }
        }
        ApiKeyCommand::List { json } => {
            let all = store::api_keys::list(conn)?;
            if json {
                let rows: Vec<_> = all
                    .iter()
                    .map(|k| {
                        serde_json::json!({
                            "id": k.id, "name": k.name, "created_by": k.created_by,
                            "created_at": k.created_at, "last_used_at": k.last_used_at,
                            "revoked_at": k.revoked_at,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if all.is_empty() {
                println!("no API keys yet (keyward apikey create NAME)");
            } else {
                println!("{:<38} {:<9} {:<22} NAME", "ID", "STATUS", "LAST USED");
                for k in all {
                    println!(
                        "{:<38} {:<9} {:<22} {}",
                        k.id,
                        if k.revoked_at.is_some() {
                            "revoked"
                        } else {
                            "active"
                        },
                        k.last_used_at
                            .map(keyward::util::time::rfc3339)
                            .unwrap_or_else(|| "never".into()),
                        k.name
                    );
                }
            }
        }
        ApiKeyCommand::Revoke { id } => {
            api_keys::revoke(conn, &id, &Actor::cli())?;
            println!("revoked API key {id}");
        }
    }
    Ok(())
}
