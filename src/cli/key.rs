//! `keyward key`: list, rotate, retire and revoke signing keys.

use clap::Subcommand;

use super::{open_database, print_json_list};
use crate::api::keys::KeyOut;
use crate::app::config::Config;
use crate::store::audit::Actor;

#[derive(Subcommand)]
pub enum KeyCommand {
    /// List signing keys (kid, algorithm, status, creation time).
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Generate a new active key for an algorithm; the key it replaces is retired.
    Rotate {
        #[arg(long, default_value = "RS256", value_parser = ["RS256", "ES256", "EdDSA"])]
        alg: String,
        /// RSA modulus size in bits: 2048, 3072 or 4096 (RS256 only).
        #[arg(long, default_value_t = 2048)]
        bits: u32,
    },
    /// Stop a key signing; it stays in the JWKS until its retention ends.
    Retire {
        /// The key's kid (it may start with '-': base64url).
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
    /// Remove a key from the JWKS at once (a compromised key).
    Revoke {
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
}

pub fn run(config: &Config, cmd: KeyCommand) -> anyhow::Result<()> {
    use crate::crypto::keys::Algorithm;
    use crate::keys::lifecycle;
    use crate::store;
    let mut conn = open_database(config)?;
    match cmd {
        KeyCommand::List { json } => {
            let keys = store::keys::list(&mut conn)?;
            if json {
                let rows: Vec<KeyOut> = keys.iter().map(KeyOut::from).collect();
                print_json_list(&rows)?;
            } else if keys.is_empty() {
                println!("no signing keys yet (keyward key rotate --alg RS256 creates one)");
            } else {
                println!("{:<44} {:<6} {:<8} CREATED", "KID", "ALG", "STATUS");
                for k in keys {
                    println!(
                        "{:<44} {:<6} {:<8} {}",
                        k.kid,
                        k.alg,
                        k.status,
                        crate::util::time::rfc3339(k.created_at)
                    );
                }
            }
        }
        KeyCommand::Rotate { alg, bits } => {
            let alg: Algorithm = alg.parse()?;
            let kid = lifecycle::rotate(
                &mut conn,
                config.key_encryption_key.as_ref(),
                alg,
                bits,
                &Actor::cli(),
            )?;
            println!("{kid}");
            eprintln!(
                "new active {alg} key {kid}; running servers pick it up within {}s",
                config.sync_interval_secs
            );
        }
        KeyCommand::Retire { kid } => {
            lifecycle::retire(&mut conn, &kid, &Actor::cli())?;
            println!("retired {kid}");
        }
        KeyCommand::Revoke { kid } => {
            lifecycle::revoke(&mut conn, &kid, &Actor::cli())?;
            println!("revoked {kid}");
        }
    }
    Ok(())
}
