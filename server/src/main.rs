//! The `fieldcrm` binary: parses the command line, sets up logging and dispatches.

use std::io::BufRead;

use anyhow::Context;
use clap::Parser;
use fieldcrm_server::cli::{
    BenchCommand, Cli, Command, CustomerCommand, DbArgs, ServeArgs, TerritoryCommand, UserAddArgs,
    UserCommand, territory, user,
};
use fieldcrm_server::db::Db;
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
            let hub = fieldcrm_server::sync::Hub::new();
            match fieldcrm_server::demo_data::seed_demo(&db, &hub, &args.password).await? {
                Some(seeded) => print!(
                    "{}",
                    fieldcrm_server::demo_data::logins_text(&seeded, &args.password)
                ),
                None => println!("the database already has users; nothing seeded"),
            }
            Ok(())
        }
        Command::Customer(CustomerCommand::Move {
            db,
            customer,
            territory,
        }) => {
            let db = open(&db).await?;
            let hub = fieldcrm_server::sync::Hub::new();
            let id = fieldcrm_server::db::documents::find_customer(&db, &customer)
                .await?
                .with_context(|| format!("no customer with id or code {customer:?}"))?;
            let t = fieldcrm_server::db::territories::get_by_name(&db, &territory)
                .await?
                .with_context(|| format!("no territory named {territory:?}"))?;
            match fieldcrm_server::sync::write::move_customer(&db, &hub, id, t.id, None).await? {
                Some(seq) => println!("moved customer {id} to {} (change {seq})", t.name),
                None => println!("customer {id} is already in {}", t.name),
            }
            Ok(())
        }
        Command::Client(args) => fieldcrm_server::cli::client::run(args).await,
        Command::Bench(BenchCommand::Sync(args)) => fieldcrm_server::bench::run(args).await,
        Command::Bench(BenchCommand::Import(args)) => {
            fieldcrm_server::import::bench::run(args).await
        }
        Command::Bench(BenchCommand::Device(args)) => fieldcrm_server::bench::device(args).await,
        Command::Bench(BenchCommand::List(args)) => fieldcrm_server::bench_list::run(args).await,
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
        let state = app.state();
        match fieldcrm_server::demo_data::seed_demo(&state.db, &state.hub, &args.demo_password)
            .await?
        {
            Some(seeded) => print!(
                "{}",
                fieldcrm_server::demo_data::logins_text(&seeded, &args.demo_password)
            ),
            None => tracing::info!("database already has users; demo not seeded"),
        }
    }
    println!("fieldcrm listening on http://{}", app.local_addr());
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
