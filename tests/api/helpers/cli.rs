//! The one runner for the `keyward` binary: a clean environment (the
//! database, quiet logs, cheap bcrypt), optional variables and standard input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

pub struct Keyward {
    command: Command,
    stdin: Option<String>,
}

/// `keyward` against the database at `db_url`.
pub fn keyward(db_url: &str) -> Keyward {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyward"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db_url)
        .env("KEYWARD_LOG", "warn")
        .env("KEYWARD_BCRYPT_COST", "4");
    Keyward {
        command,
        stdin: None,
    }
}

impl Keyward {
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    pub fn envs(mut self, vars: &[(&str, &str)]) -> Self {
        for (k, v) in vars {
            self.command.env(k, v);
        }
        self
    }

    /// Standard input for the command (a password, say); none by default.
    pub fn stdin(mut self, input: &str) -> Self {
        self.stdin = Some(input.to_owned());
        self
    }

    pub fn run(mut self, args: &[&str]) -> Output {
        self.command
            .args(args)
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("run the keyward binary");
        if let Some(input) = &self.stdin {
            child
                .stdin
                .take()
                .expect("a piped stdin")
                .write_all(input.as_bytes())
                .expect("write standard input");
        }
        child
            .wait_with_output()
            .expect("the keyward binary finished")
    }
}

/// The command's standard output as JSON, after checking that it succeeded.
pub fn json_of(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on standard output")
}
