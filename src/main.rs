//! The `keyward` command: parse the command line, load the configuration from
//! the environment, start logging, then run the subcommand (`cli::run`).

use std::process::ExitCode;

use clap::Parser;
use keyward::app::config::Config;
use keyward::cli::{self, Cli};

fn main() -> ExitCode {
    let args = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("keyward: {e}");
            return ExitCode::from(2);
        }
    };
    cli::init_logging(&config.log_filter);
    cli::run(args, config)
}
