//! `keyward user`: add, change the password of, list, disable and enable users.

use clap::Subcommand;

use super::{open_database, password_input, print_json_list};
use crate::api::users::UserOut;
use crate::app::config::Config;
use crate::store::audit::Actor;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from standard input (one line) when
    /// it is not a terminal; otherwise, or with --generate, one is generated and
    /// printed once.
    Add {
        username: String,
        #[arg(long)]
        email: Option<String>,
        /// Give the user access to the admin area.
        #[arg(long)]
        admin: bool,
        /// Generate the password even if standard input is not a terminal.
        #[arg(long)]
        generate: bool,
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password (standard input or generated, as for `add`); ends
    /// the user's sessions.
    Passwd {
        username: String,
        #[arg(long)]
        generate: bool,
    },
    /// List users.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: sessions end and tokens are revoked.
    Disable { username: String },
    /// Enable a disabled user.
    Enable { username: String },
    /// Forget a user's failed sign-ins, so they may sign in again at once.
    Unlock { username: String },
    /// List where a user is signed in.
    Sessions {
        username: String,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(config: &Config, cmd: UserCommand) -> anyhow::Result<()> {
    use crate::idm::accounts::{self, NewAccount};
    use crate::store::users;
    let mut conn = open_database(config)?;
    let cost = config.bcrypt_cost;
    match cmd {
        UserCommand::Add {
            username,
            email,
            admin,
            generate,
            json,
        } => {
            let (password, generated) = password_input(generate)?;
            let account = NewAccount {
                username: &username,
                email: email.as_deref(),
                password: &password,
                password_confirmation: &password,
                is_admin: admin,
            };
            let user = accounts::create(&mut conn, &account, cost, &Actor::cli())?;
            if json {
                let mut out = serde_json::to_value(UserOut::from(&user))?;
                if generated {
                    out["password"] = serde_json::json!(password);
                }
                println!("{out}");
            } else {
                println!("created user {} (id {})", user.username, user.id);
                if generated {
                    println!("password (shown once): {password}");
                }
            }
        }
        UserCommand::Passwd { username, generate } => {
            let user = accounts::find_by_username(&mut conn, &username)?;
            let (password, generated) = password_input(generate)?;
            accounts::set_password(
                &mut conn,
                &user,
                &password,
                &password,
                cost,
                &Actor::cli(),
                None,
            )?;
            println!(
                "password changed for {}; their sessions have ended",
                user.username
            );
            if generated {
                println!("password (shown once): {password}");
            }
        }
        UserCommand::List { json } => {
            let all = users::list(&mut conn, None, i64::MAX, 0)?;
            if json {
                let rows: Vec<UserOut> = all.iter().map(UserOut::from).collect();
                print_json_list(&rows)?;
            } else if all.is_empty() {
                println!("no users yet");
            } else {
                println!(
                    "{:<24} {:<32} {:<6} {:<9} CREATED",
                    "USERNAME", "EMAIL", "ADMIN", "DISABLED"
                );
                for u in all {
                    println!(
                        "{:<24} {:<32} {:<6} {:<9} {}",
                        u.username,
                        u.email.as_deref().unwrap_or("-"),
                        if u.is_admin { "yes" } else { "no" },
                        if u.disabled { "yes" } else { "no" },
                        crate::util::time::rfc3339(u.created_at)
                    );
                }
            }
        }
        UserCommand::Disable { username } => {
            let user = accounts::find_by_username(&mut conn, &username)?;
            accounts::set_disabled(&mut conn, &user, true, &Actor::cli())?;
            println!(
                "disabled {}; their sessions have ended and their tokens are revoked",
                user.username
            );
        }
        UserCommand::Enable { username } => {
            let user = accounts::find_by_username(&mut conn, &username)?;
            accounts::set_disabled(&mut conn, &user, false, &Actor::cli())?;
            println!("enabled {}", user.username);
        }
        UserCommand::Sessions { username, json } => {
            let user = accounts::find_by_username(&mut conn, &username)?;
            let list = crate::idm::sessions::list(&mut conn, &user.id, None, crate::store::now())?;
            if json {
                // The admin API's view, as every --json listing prints.
                let out: Vec<_> = list
                    .iter()
                    .cloned()
                    .map(crate::api::sessions::SessionOut::from)
                    .collect();
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else if list.is_empty() {
                println!("{} is not signed in anywhere", user.username);
            } else {
                println!("{:<38} {:<22} {:<40} DEVICE", "ID", "LAST SEEN", "ADDRESS");
                for s in list {
                    println!(
                        "{:<38} {:<22} {:<40} {}",
                        s.id,
                        crate::util::time::rfc3339(s.last_seen_at),
                        s.address.as_deref().unwrap_or("-"),
                        s.device
                    );
                }
            }
        }
        UserCommand::Unlock { username } => {
            let user = accounts::find_by_username(&mut conn, &username)?;
            if accounts::unlock(&mut conn, &user, &Actor::cli())? {
                println!(
                    "unlocked {}: their failed sign-ins are forgotten",
                    user.username
                );
            } else {
                println!("{} had no failed sign-ins", user.username);
            }
        }
    }
    Ok(())
}
