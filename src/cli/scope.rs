//! `keyward scope`: the scope rules of the pages and the API, for scripting.

use clap::Subcommand;

use super::print_json_list;
use crate::api::scopes::ScopeOut;
use crate::db::DbConn;
use crate::idm::scopes;
use crate::store;
use crate::store::audit::Actor;

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

pub fn run(conn: &mut DbConn, cmd: ScopeCommand) -> anyhow::Result<()> {
    match cmd {
        ScopeCommand::List { json } => {
            let all = store::scopes::list(conn)?;
            if json {
                let rows: Vec<ScopeOut> = all.iter().map(ScopeOut::from).collect();
                print_json_list(&rows)?;
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
