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
        /// Days until the key stops working (1 to 3650); without it, never.
        #[arg(long, value_name = "DAYS")]
        expires_in: Option<i64>,
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
        ApiKeyCommand::Create {
            name,
            expires_in,
            json,
        } => {
            let (row, key) = api_keys::create(conn, &name, expires_in, &Actor::cli())?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "id": row.id, "name": row.name, "key": key.expose(),
                        "expires_at": row.expires_at, "owner": null,
                    })
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
            let all = api_keys::list(conn, store::now())?;
            if json {
                let rows: Vec<_> = all
                    .iter()
                    .map(|v| {
                        let k = &v.key;
                        serde_json::json!({
                            "id": k.id, "name": k.name, "created_by": k.created_by,
                            "owner": v.owner, "state": v.state,
                            "created_at": k.created_at, "last_used_at": k.last_used_at,
                            "expires_at": k.expires_at, "revoked_at": k.revoked_at,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if all.is_empty() {
                println!("no API keys yet (keyward apikey create NAME)");
            } else {
                let when = |t: Option<i64>, none: &str| {
                    t.map(crate::util::time::rfc3339)
                        .unwrap_or_else(|| none.into())
                };
                println!(
                    "{:<38} {:<15} {:<22} {:<22} {:<16} NAME",
                    "ID", "STATUS", "LAST USED", "EXPIRES", "OWNER"
                );
                for v in all {
                    let k = &v.key;
                    println!(
                        "{:<38} {:<15} {:<22} {:<22} {:<16} {}",
                        k.id,
                        match v.state {
                            api_keys::KeyState::OwnerInactive => "owner inactive",
                            s => s.describe(),
                        },
                        when(k.last_used_at, "never"),
                        when(k.expires_at, "never"),
                        v.owner.as_deref().unwrap_or(
                            if k.created_by.as_deref() == Some(api_keys::CLI_OWNER) {
                                "(cli)"
                            } else {
                                "(deleted)"
                            }
                        ),
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
