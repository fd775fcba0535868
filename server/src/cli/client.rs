//! `fieldcrm client …`: the command-line field client over [`fieldcrm_core::client`]. It keeps
//! an offline store in `--home` (or `FIELDCRM_CLIENT_HOME`), works without a network, and syncs
//! on `fieldcrm client sync`.
//!
//! # JSON output (`--json`), stable
//!
//! Times are unix milliseconds; ids are hyphenated UUIDs; absent values are `null`.
//!
//! - `sync --json`: the sync report
//!   `{"frames_received": u64, "docs_received": u64, "revoked": u64, "pushed": u64,
//!     "accepted": u64, "compensated": u64, "rejected": u64, "bytes_received": u64,
//!     "cursor": u64}`
//! - `status --json`:
//!   `{"session": null | {"server_url": str, "user": {"id", "username", "display_name", "role"},
//!     "device_id": str}, "pending_docs": i64, "last_sync_at": i64|null, "cursor": u64,
//!     "unseen_notices": i64, "quarantined": usize, "notices": [Notice…]}`
//!   (`status` does not mark notices seen; `notices` does)
//! - `notices --json`: `[Notice…]`, newest first, where Notice is
//!   `{"id": i64, "at": i64, "kind": "compensated"|"rejected"|"revoked"|"error",
//!     "doc_id": str|null, "message": str, "seen": bool}`
//! - `list customers --json`: `[{"id", "name", "code", "tier", "industry", "city", "district",
//!     "phones": [str], "email", "contacts": [str], "territory": str|null, "owner": str|null,
//!     "pending": bool, "updated_at": i64}…]`
//! - `list visits --json`: `[{"id", "customer": str|null, "rep": str|null,
//!     "planned_at": i64|null, "check_in_at": i64|null, "check_out_at": i64|null, "purpose",
//!     "outcome", "pending": bool, "updated_at": i64}…]`
//! - `show customer ID --json`: `{"id": str, …every field of the customer record}` (`code`,
//!   `name`, `kind`, `tier`, `industry`, `source`, `phones`, `email`, `address` {`province`,
//!   `city`, `district`, `street`, `zip`, `geo` {`lat`,`lon`}|null}, `tags`, `birthday`,
//!   `interests`, `contacts`, `custom`, `notes`, `territory`, `owner`)
//! - `show visit ID --json`: `{"id": str, …every field of the visit record}` (`customer`, `rep`,
//!   `planned_at`, `check_in` {`at`,`geo`,`accuracy_m`}|null, `check_out`, `purpose`,
//!   `outcome`, `notes`, `next_step`, `photos`)
//! - `create customer … --json`, `visit … --json`: `{"id": str}`
//! - `login --json`: the `session` object above.
//!
//! Without `--json` the output is for people and may change.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use fieldcrm_core::client::{FieldClient, fields};
use fieldcrm_core::domain::{CheckPoint, Customer, GeoPoint, Visit};
use fieldcrm_core::{CustomerId, VisitId};
use serde::Serialize;
use serde_json::Value;

/// `fieldcrm client`: the offline field client.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// Directory of the client's offline store.
    #[arg(long, env = "FIELDCRM_CLIENT_HOME", value_name = "DIR")]
    pub home: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub cmd: ClientCommand,
}

/// The client subcommands.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Log in and register this client home as a device.
    Login {
        /// Server base URL, e.g. `http://127.0.0.1:8080` (plain http for now).
        #[arg(long, value_name = "URL")]
        server: String,
        /// Username.
        #[arg(long, value_name = "U")]
        user: String,
        /// Password.
        #[arg(long, value_name = "P", env = "FIELDCRM_CLIENT_PASSWORD")]
        password: String,
        /// Name of this device as the server lists it.
        #[arg(long, value_name = "N", default_value = "fieldcrm-cli")]
        device_name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sync once: catch up, push local work, wait for every verdict.
    Sync {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Pending work, last sync, cursor, notices.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List records from the local store.
    #[command(subcommand)]
    List(ListCommand),
    /// Show one record.
    #[command(subcommand)]
    Show(ShowCommand),
    /// Edit a record locally (`field=value …`).
    #[command(subcommand)]
    Edit(EditCommand),
    /// Create a record locally (`field=value …`).
    #[command(subcommand)]
    Create(CreateCommand),
    /// Record a visit to a customer: check-in now (with a GPS point), optional check-out.
    Visit {
        /// The customer id.
        customer: String,
        /// Purpose.
        #[arg(long)]
        purpose: Option<String>,
        /// Outcome.
        #[arg(long)]
        outcome: Option<String>,
        /// Notes.
        #[arg(long)]
        notes: Option<String>,
        /// Latitude of the check-in.
        #[arg(long, requires = "lon", allow_negative_numbers = true)]
        lat: Option<f64>,
        /// Longitude of the check-in.
        #[arg(long, requires = "lat", allow_negative_numbers = true)]
        lon: Option<f64>,
        /// Also check out now.
        #[arg(long)]
        check_out: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show notices (compensations, rejections, revocations) and mark them seen.
    Notices {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Log out and wipe the local store.
    Logout,
}

/// `fieldcrm client list …`.
#[derive(Debug, Subcommand)]
pub enum ListCommand {
    /// Customers, by name.
    Customers {
        /// Search name, code, phones, e-mail, contacts, city, district.
        #[arg(long, short)]
        query: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Skip this many.
        #[arg(long, default_value_t = 0)]
        offset: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Visits, newest first.
    Visits {
        /// Only visits of this customer.
        #[arg(long, value_name = "ID")]
        customer: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `fieldcrm client show …`.
#[derive(Debug, Subcommand)]
pub enum ShowCommand {
    /// One customer.
    Customer {
        /// Its id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// One visit.
    Visit {
        /// Its id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `fieldcrm client edit …`.
#[derive(Debug, Subcommand)]
pub enum EditCommand {
    /// Set fields of a customer: name, code, kind, tier, industry, source, email, phones
    /// (comma list), tags, interests, notes, birthday, address.{province,city,district,street,
    /// zip}, address.geo=LAT,LON, custom.KEY, territory, owner (the last two are server-owned:
    /// the server restores them and a notice says so).
    Customer {
        /// Its id.
        id: String,
        /// `field=value` assignments.
        #[arg(required = true, value_name = "FIELD=VALUE")]
        fields: Vec<String>,
    },
}

/// `fieldcrm client create …`.
#[derive(Debug, Subcommand)]
pub enum CreateCommand {
    /// Create a customer from `field=value` assignments (`name=` is required).
    Customer {
        /// `field=value` assignments.
        #[arg(required = true, value_name = "FIELD=VALUE")]
        fields: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a client subcommand.
pub async fn run(args: ClientArgs) -> anyhow::Result<()> {
    let client = FieldClient::open(&args.home)
        .await
        .with_context(|| format!("cannot open the client store in {}", args.home.display()))?;
    let result = dispatch(&client, args.cmd).await;
    client.store().close().await;
    result
}

async fn dispatch(client: &FieldClient, cmd: ClientCommand) -> anyhow::Result<()> {
    match cmd {
        ClientCommand::Login {
            server,
            user,
            password,
            device_name,
            json,
        } => {
            let s = client
                .login(&server, &user, &password, &device_name)
                .await?;
            if json {
                print_json(&s)?;
            } else {
                println!(
                    "logged in to {} as {} ({}, role {}), device {}",
                    s.server_url, s.user.username, s.user.display_name, s.user.role, s.device_id
                );
            }
        }
        ClientCommand::Sync { json } => {
            let r = client.sync_once().await?;
            if json {
                print_json(&r)?;
            } else {
                println!(
                    "synced: {} frame(s), {} document(s) received ({} bytes), {} revoked; \
                     {} pushed: {} accepted, {} compensated, {} rejected; cursor {}",
                    r.frames_received,
                    r.docs_received,
                    r.bytes_received,
                    r.revoked,
                    r.pushed,
                    r.accepted,
                    r.compensated,
                    r.rejected,
                    r.cursor
                );
            }
        }
        ClientCommand::Status { json } => {
            let status = client.status().await?;
            let notices = client.peek_notices().await?;
            if json {
                let mut v = to_value(&status)?;
                if let Value::Object(map) = &mut v {
                    map.insert("notices".into(), to_value(&notices)?);
                }
                print_json(&v)?;
            } else {
                match &status.session {
                    Some(s) => println!(
                        "{} ({}) on {}, device {}",
                        s.user.username, s.user.role, s.server_url, s.device_id
                    ),
                    None => println!("not logged in"),
                }
                println!("pending documents: {}", status.pending_docs);
                println!("last sync: {}", opt_time(status.last_sync_at));
                println!("cursor: {}", status.cursor);
                println!("quarantined: {}", status.quarantined);
                println!("unseen notices: {}", status.unseen_notices);
                for n in notices.iter().filter(|n| !n.seen) {
                    println!("  [{}] {} {}", kind_name(&n.kind)?, time(n.at), n.message);
                }
            }
        }
        ClientCommand::List(ListCommand::Customers {
            query,
            limit,
            offset,
            json,
        }) => {
            let rows = client
                .list_customers(query.as_deref(), limit, offset)
                .await?;
            if json {
                print_json(&rows)?;
            } else {
                for r in rows {
                    println!(
                        "{}  {}{}  {}  {}  {}{}",
                        r.id,
                        r.name,
                        if r.code.is_empty() {
                            String::new()
                        } else {
                            format!(" [{}]", r.code)
                        },
                        r.tier,
                        r.city,
                        r.phones.join(","),
                        if r.pending { "  (pending)" } else { "" }
                    );
                }
            }
        }
        ClientCommand::List(ListCommand::Visits { customer, json }) => {
            let customer = customer.map(|c| CustomerId::parse(&c)).transpose()?;
            let rows = client.list_visits(customer).await?;
            if json {
                print_json(&rows)?;
            } else {
                for r in rows {
                    println!(
                        "{}  customer {}  in {}  out {}  {}  {}{}",
                        r.id,
                        r.customer.map(|c| c.to_string()).unwrap_or_default(),
                        opt_time(r.check_in_at),
                        opt_time(r.check_out_at),
                        r.purpose,
                        r.outcome,
                        if r.pending { "  (pending)" } else { "" }
                    );
                }
            }
        }
        ClientCommand::Show(ShowCommand::Customer { id, json }) => {
            let id = CustomerId::parse(&id)?;
            let c = client.get_customer(id).await?;
            let v = with_id(id.to_string(), &c)?;
            if json {
                print_json(&v)?;
            } else {
                println!("{}", serde_json::to_string_pretty(&v)?);
            }
        }
        ClientCommand::Show(ShowCommand::Visit { id, json }) => {
            let id = VisitId::parse(&id)?;
            let visit = client.get_visit(id).await?;
            let v = with_id(id.to_string(), &visit)?;
            if json {
                print_json(&v)?;
            } else {
                println!("{}", serde_json::to_string_pretty(&v)?);
            }
        }
        ClientCommand::Edit(EditCommand::Customer { id, fields }) => {
            let id = CustomerId::parse(&id)?;
            let assignments = parse_assignments(&fields)?;
            client.set_customer_fields(id, &assignments).await?;
            println!("{id} edited (pending sync)");
        }
        ClientCommand::Create(CreateCommand::Customer { fields, json }) => {
            let mut c = Customer::default();
            for (k, v) in parse_assignments(&fields)? {
                fields::apply_customer_field(&mut c, &k, &v)?;
            }
            let id = client.create_customer(c).await?;
            print_id(&id.to_string(), json)?;
        }
        ClientCommand::Visit {
            customer,
            purpose,
            outcome,
            notes,
            lat,
            lon,
            check_out,
            json,
        } => {
            let customer = CustomerId::parse(&customer)?;
            client.get_customer(customer).await?;
            let now = chrono::Utc::now().timestamp_millis();
            let geo = match (lat, lon) {
                (Some(lat), Some(lon)) => Some(GeoPoint::parse(lat, lon)?),
                _ => None,
            };
            let visit = Visit {
                customer: Some(customer),
                check_in: Some(CheckPoint {
                    at: now,
                    geo,
                    accuracy_m: None,
                }),
                check_out: check_out.then_some(CheckPoint {
                    at: now,
                    geo,
                    accuracy_m: None,
                }),
                purpose: purpose.unwrap_or_default(),
                outcome: outcome.unwrap_or_default(),
                notes: notes.unwrap_or_default(),
                ..Visit::default()
            };
            let id = client.create_visit(visit).await?;
            print_id(&id.to_string(), json)?;
        }
        ClientCommand::Notices { json } => {
            let notices = client.notices().await?;
            if json {
                print_json(&notices)?;
            } else if notices.is_empty() {
                println!("no notices");
            } else {
                for n in notices {
                    println!(
                        "{} [{}] {}{}",
                        time(n.at),
                        kind_name(&n.kind)?,
                        n.message,
                        if n.seen { "" } else { "  (new)" }
                    );
                }
            }
        }
        ClientCommand::Logout => {
            client.logout().await?;
            println!("logged out; local data wiped");
        }
    }
    Ok(())
}

fn parse_assignments(items: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    Ok(items
        .iter()
        .map(|s| fields::parse_assignment(s))
        .collect::<Result<_, _>>()?)
}

fn to_value<T: Serialize>(v: &T) -> anyhow::Result<Value> {
    Ok(serde_json::to_value(v)?)
}

fn print_json<T: Serialize>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(v)?);
    Ok(())
}

fn print_id(id: &str, json: bool) -> anyhow::Result<()> {
    if json {
        print_json(&serde_json::json!({ "id": id }))
    } else {
        println!("{id}");
        Ok(())
    }
}

/// A record's JSON with its id as the first key.
fn with_id<T: Serialize>(id: String, record: &T) -> anyhow::Result<Value> {
    let mut out = serde_json::Map::new();
    out.insert("id".into(), Value::String(id));
    if let Value::Object(fields) = to_value(record)? {
        out.extend(fields);
    }
    Ok(Value::Object(out))
}

fn kind_name<T: Serialize>(kind: &T) -> anyhow::Result<String> {
    Ok(to_value(kind)?.as_str().unwrap_or_default().to_owned())
}

fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| ms.to_string())
}

fn opt_time(ms: Option<i64>) -> String {
    ms.map(time).unwrap_or_else(|| "-".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Top {
        #[command(flatten)]
        args: ClientArgs,
    }

    #[test]
    fn parses_the_documented_commands() {
        let p = |a: &[&str]| {
            let mut v = vec!["client", "--home", "/tmp/x"];
            v.extend_from_slice(a);
            Top::try_parse_from(v).map(|t| t.args.cmd)
        };
        p(&[
            "login",
            "--server",
            "http://h:1",
            "--user",
            "u",
            "--password",
            "p",
        ])
        .unwrap();
        p(&["sync", "--json"]).unwrap();
        p(&["status"]).unwrap();
        p(&[
            "list",
            "customers",
            "--query",
            "华联",
            "--limit",
            "5",
            "--json",
        ])
        .unwrap();
        p(&["list", "visits", "--customer", "x"]).unwrap();
        p(&["show", "customer", "id", "--json"]).unwrap();
        p(&["show", "visit", "id"]).unwrap();
        p(&["edit", "customer", "id", "tier=A", "address.city=上海"]).unwrap();
        p(&["create", "customer", "name=Acme"]).unwrap();
        p(&[
            "visit",
            "c",
            "--purpose",
            "intro",
            "--lat",
            "31.2",
            "--lon",
            "-121.4",
            "--check-out",
        ])
        .unwrap();
        p(&["notices", "--json"]).unwrap();
        p(&["logout"]).unwrap();
        assert!(p(&["edit", "customer", "id"]).is_err(), "fields required");
        assert!(p(&["visit", "c", "--lat", "1"]).is_err(), "lat needs lon");
    }
}
