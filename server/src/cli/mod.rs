//! The `fieldcrm` command line: the clap definitions, and the administration functions the
//! subcommands call (also called directly by tests). `main.rs` only dispatches.

pub mod client;
pub mod territory;
pub mod user;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use fieldcrm_core::Role;

use crate::db::DbError;
use crate::settings::{Settings, SettingsError, SettingsLayer};

/// Errors of the administration commands.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments.
    #[error("{0}")]
    InvalidInput(String),
    /// A named user or territory does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Password hashing failed.
    #[error(transparent)]
    Password(#[from] crate::auth::PasswordError),
    /// Settings are invalid.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// Output could not be produced.
    #[error("cannot render output: {0}")]
    Render(String),
}

/// fieldcrm: offline-first CRM server and administration.
#[derive(Debug, Parser)]
#[command(name = "fieldcrm", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Create the demo organisation (territories and one user per role) in an empty database.
    SeedDemo(SeedDemoArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage the territory tree.
    #[command(subcommand)]
    Territory(TerritoryCommand),
    /// Customer operations that only the server does (moving between territories).
    #[command(subcommand)]
    Customer(CustomerCommand),
    /// The command-line field client (an offline device).
    Client(client::ClientArgs),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// `fieldcrm customer …`.
#[derive(Debug, Subcommand)]
pub enum CustomerCommand {
    /// Move a customer (and its visits) to another territory: devices that lose it purge it,
    /// devices that gain it receive it.
    Move {
        /// Settings and database.
        #[command(flatten)]
        db: DbArgs,
        /// The customer's id or code.
        customer: String,
        /// The target territory's name.
        #[arg(long, value_name = "NAME")]
        territory: String,
    },
}

/// `fieldcrm bench …`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Sync benchmark on loopback: first sync of N customers and reconnect cost.
    Sync(crate::bench::BenchArgs),
    /// Import benchmark: N customers from a generated .xlsx/.csv, created then updated.
    Import(crate::import::bench::BenchImportArgs),
    /// Customer-list benchmark: N customers (default 1,000,000), p50/p95/max per query type.
    List(crate::bench_list::BenchListArgs),
    /// One device run of the sync benchmark (started by `bench sync`).
    #[command(hide = true)]
    Device(crate::bench::BenchDeviceArgs),
}

/// Where the settings and the database come from.
#[derive(Debug, Clone, Default, Args)]
pub struct DbArgs {
    /// Settings file (TOML); default `fieldcrm.toml` in the working directory if present.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Database URL (`sqlite://…` or `postgres://…`); overrides settings and environment.
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
}

impl DbArgs {
    /// The settings these arguments select, with `extra` command-line overrides.
    pub fn settings(&self, extra: SettingsLayer) -> Result<Settings, SettingsError> {
        let cli = SettingsLayer {
            database_url: self.database.clone(),
            ..SettingsLayer::default()
        }
        .merge(extra);
        Settings::load(self.config.as_deref(), cli)
    }
}

/// `fieldcrm serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. `0.0.0.0:8080`.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Settings and database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Seed the demo organisation first if the database has no users.
    #[arg(long)]
    pub demo: bool,
    /// Password of the demo users (with `--demo`).
    #[arg(long, value_name = "P", default_value = "demo")]
    pub demo_password: String,
}

/// `fieldcrm seed-demo`.
#[derive(Debug, Args)]
pub struct SeedDemoArgs {
    /// Settings and database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Password of every demo user.
    #[arg(long, value_name = "P", default_value = "demo")]
    pub password: String,
}

/// `fieldcrm user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Add(UserAddArgs),
    /// List users.
    List {
        /// Settings and database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: they can no longer log in, refresh or use their tokens.
    Disable {
        /// Settings and database.
        #[command(flatten)]
        db: DbArgs,
        /// The username.
        username: String,
    },
}

/// `fieldcrm user add`.
#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// Settings and database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Login name.
    #[arg(long)]
    pub username: String,
    /// Role: admin, manager, office, rep, engineer or partner.
    #[arg(long)]
    pub role: Role,
    /// Name shown in the apps (default: the username).
    #[arg(long)]
    pub display_name: Option<String>,
    /// Password (visible in the process list; prefer `--password-stdin`).
    #[arg(long, conflicts_with = "password_stdin")]
    pub password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// Territory to assign (repeatable): a rep's territory, or the root of a manager's subtree.
    #[arg(long = "territory", value_name = "NAME")]
    pub territories: Vec<String>,
}

/// `fieldcrm territory …`.
#[derive(Debug, Subcommand)]
pub enum TerritoryCommand {
    /// Create a territory.
    Add {
        /// Settings and database.
        #[command(flatten)]
        db: DbArgs,
        /// Its unique name.
        name: String,
        /// The parent territory's name (default: a root).
        #[arg(long, value_name = "NAME")]
        parent: Option<String>,
    },
    /// Show the territory tree.
    List {
        /// Settings and database.
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON instead of a tree.
        #[arg(long)]
        json: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_commands() {
        Cli::try_parse_from(["fieldcrm", "serve", "--listen", "0.0.0.0:1", "--demo"]).unwrap();
        Cli::try_parse_from(["fieldcrm", "seed-demo", "--password", "x"]).unwrap();
        let cli = Cli::try_parse_from([
            "fieldcrm",
            "user",
            "add",
            "--username",
            "u",
            "--role",
            "rep",
            "--password",
            "p",
            "--territory",
            "上海",
            "--territory",
            "杭州",
        ])
        .unwrap();
        match cli.command {
            Command::User(UserCommand::Add(args)) => {
                assert_eq!(args.role, Role::Rep);
                assert_eq!(args.territories, ["上海", "杭州"]);
            }
            other => panic!("unexpected {other:?}"),
        }
        Cli::try_parse_from(["fieldcrm", "user", "list", "--json"]).unwrap();
        Cli::try_parse_from(["fieldcrm", "user", "disable", "u"]).unwrap();
        Cli::try_parse_from(["fieldcrm", "territory", "add", "上海", "--parent", "华东"]).unwrap();
        Cli::try_parse_from(["fieldcrm", "territory", "list"]).unwrap();
        Cli::try_parse_from(["fieldcrm", "bench", "list", "--customers", "1000", "--json"])
            .unwrap();
        assert!(
            Cli::try_parse_from([
                "fieldcrm",
                "user",
                "add",
                "--username",
                "u",
                "--role",
                "boss"
            ])
            .is_err()
        );
        assert!(
            Cli::try_parse_from([
                "fieldcrm",
                "user",
                "add",
                "--username",
                "u",
                "--role",
                "rep",
                "--password",
                "p",
                "--password-stdin"
            ])
            .is_err()
        );
    }
}
