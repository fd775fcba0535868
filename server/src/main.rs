//! The `fieldcrm` binary: parses the command line, sets up logging and dispatches.

use std::io::BufRead;

use anyhow::Context;
use clap::Parser;
use fieldcrm_server::cli::{
    Cli, Command, DbArgs, ServeArgs, TerritoryCommand, UserAddArgs, UserCommand, territory, user,
};
use fieldcrm_server::db::Db;
use fieldcrm_server::seed;
use fieldcrm_server::settings::SettingsLayer;
use fieldcrm_server::startup::Application;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::SeedDemo(args) => {
            let db = open(&args.db).await?;
            match seed::seed_demo_if_empty(&db, &args.password).await? {
                Some(report) => {
                    println!("seeded the demo organisation: {} users", report.users.len())
                }
                None => println!("the database already has users; nothing seeded"),
            }
            Ok(())
        }
        Command::User(UserCommand::Add(args)) => user_add(args).await,
        Command::User(UserCommand::List { db, json }) => {
            let db = open(&db).await?;
            let users = user::list_users(&db).await?;
            if json {
                println!("{}", user::users_json(&users)?);
            } else {
                print!("{}", user::render_users(&users));
            }
            Ok(())
        }
        Command::User(UserCommand::Disable { db, username }) => {
            let db = open(&db).await?;
            let disabled = user::disable_user(&db, &username).await?;
            println!("disabled {}", disabled.username);
            Ok(())
        }
        Command::Territory(TerritoryCommand::Add { db, name, parent }) => {
            let db = open(&db).await?;
            let t = territory::add_territory(&db, &name, parent.as_deref()).await?;
            println!("created territory {} ({})", t.name, t.id);
            Ok(())
        }
        Command::Territory(TerritoryCommand::List { db, json }) => {
            let db = open(&db).await?;
            let tree = territory::list_tree(&db).await?;
            if json {
                println!("{}", territory::tree_json(&tree)?);
            } else {
                print!("{}", territory::render_tree(&tree));
            }
            Ok(())
        }
    }
}

/// Connects to and migrates the database the arguments select.
async fn open(args: &DbArgs) -> anyhow::Result<Db> {
    let settings = args.settings(SettingsLayer::default())?;
    let db = Db::connect(&settings.database_url)
        .await
        .context("connecting to the database")?;
    db.migrate().await.context("running database migrations")?;
    Ok(db)
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let settings = args.db.settings(SettingsLayer {
        listen: args.listen.clone(),
        ..SettingsLayer::default()
    })?;
    let app = Application::build(settings).await?;
    if args.demo {
        match seed::seed_demo_if_empty(&app.state().db, &args.demo_password).await? {
            Some(report) => {
                tracing::info!(users = report.users.len(), "seeded the demo organisation")
            }
            None => tracing::info!("database already has users; demo not seeded"),
        }
    }
    app.run_until_stopped().await
}

async fn user_add(args: UserAddArgs) -> anyhow::Result<()> {
    let password = match (args.password, args.password_stdin) {
        (Some(p), false) => p,
        (None, true) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
        _ => anyhow::bail!("give exactly one of --password or --password-stdin"),
    };
    let db = open(&args.db).await?;
    let created = user::add_user(
        &db,
        &user::AddUser {
            username: args.username,
            role: args.role,
            display_name: args.display_name,
            password,
            territories: args.territories,
        },
    )
    .await?;
    println!(
        "created user {} ({}, {})",
        created.username, created.role, created.id
    );
    Ok(())
}
