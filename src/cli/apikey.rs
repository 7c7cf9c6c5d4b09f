//! `keyward apikey`: create, list and revoke admin API keys.

use clap::Subcommand;

use crate::db::DbConn;
use crate::idm::api_keys;
use crate::store;
use crate::store::audit::Actor;

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

pub fn run(conn: &mut DbConn, cmd: ApiKeyCommand) -> anyhow::Result<()> {
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
                            .map(crate::util::time::rfc3339)
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
