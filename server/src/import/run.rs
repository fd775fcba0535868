//! Deciding and executing an import. Rows are taken in file order, in batches of [`BATCH`]:
//! each row is checked ([`mapping::plan_row`]), matched against existing customers and against
//! the rows before it ([`Dedupe`]), and becomes a create, an update, a skip or a reject. A real
//! run writes each batch through the document write path in two transactions
//! ([`write::server_create_many`], [`write::server_update_many`]), so devices receive imported
//! customers; a dry run decides and validates the same way and writes nothing.
//!
//! Rows within the file behave as if imported one by one: a later row with the key of an earlier
//! one matches the customer that row created or updated (updated or skipped by the rule).
//!
//! Before each batch the run checks whether a user asked to cancel it
//! ([`imports::cancel_requested`]); if so it stops there and the job ends `cancelled`, with the
//! batches already written kept. A [`BatchGate`] lets tests hold a run at a batch boundary.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fieldcrm_core::domain::customer::Customer;
use fieldcrm_core::{DocId, Role, TerritoryId, UserId};
use serde_json::json;
use tokio::sync::Semaphore;

use super::mapping::{self, ImportSettings, Lookups, MatchBy, OnMatch, Patch, Problem, RowPlan};
use super::sheet::{self, SheetRow};
use crate::auth::permissions::{Permission, default_permissions};
use crate::db::audit::{self, AuditEntry};
use crate::db::imports::{self, Counts, JobId, JobStatus, KeyColumn, Reject};
use crate::db::{Db, DbError, territories, users};
use crate::sync::Hub;
use crate::sync::write::{self, NewDoc, WriteError};

/// Rows per batch (one create and one update transaction each).
pub const BATCH: usize = 500;

/// A gate every run passes before each batch. Open (the default, and always outside tests) it
/// never waits. Closed ([`BatchGate::close`]) each batch of every run of the application takes
/// one permit of the returned semaphore first, so a test can stop a run at a known batch
/// boundary, act (cancel it), then let it go on — without depending on timing.
#[derive(Clone, Debug, Default)]
pub struct BatchGate(Arc<Mutex<Option<Arc<Semaphore>>>>);

impl BatchGate {
    /// Closes the gate: from now on each batch waits for a permit of the returned semaphore
    /// (it has none yet; `add_permits` lets batches through).
    pub fn close(&self) -> Arc<Semaphore> {
        let permits = Arc::new(Semaphore::new(0));
        if let Ok(mut g) = self.0.lock() {
            *g = Some(permits.clone());
        }
        permits
    }

    /// Waits for a permit if the gate is closed.
    async fn pass(&self) {
        // The lock is released before waiting.
        let permits = self.0.lock().ok().and_then(|g| g.clone());
        if let Some(permits) = permits
            && let Ok(p) = permits.acquire().await
        {
            p.forget();
        }
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunEnd {
    /// The counts of the rows processed.
    pub counts: Counts,
    /// Whether it stopped early because a user cancelled it.
    pub cancelled: bool,
}

/// Errors that stop a run (row problems are not errors: they reject the row).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Storage.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The write path.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The stored file no longer reads.
    #[error("the file cannot be read: {0}")]
    Sheet(#[from] sheet::SheetError),
    /// Stored settings do not parse.
    #[error("corrupt import settings: {0}")]
    Settings(String),
    /// A blocking task died.
    #[error("worker failed: {0}")]
    Join(String),
}

/// Who imports.
#[derive(Clone, Copy, Debug)]
pub struct RunUser {
    /// The user.
    pub id: UserId,
    /// Their role (decides scope and whether territory/owner may change).
    pub role: Role,
}

/// Everything deciding needs besides the rows.
#[derive(Clone, Debug)]
pub struct Context {
    /// The import's options.
    pub settings: ImportSettings,
    /// Territories, users, scope.
    pub lookups: Lookups,
    /// Whether existing customers may change territory or owner.
    pub may_reassign: bool,
}

impl Context {
    /// Loads the territories, enabled users and the user's scope.
    pub async fn load(
        db: &Db,
        user: RunUser,
        settings: ImportSettings,
    ) -> Result<Context, DbError> {
        let scope = territories::scope_territories(db, user.id, user.role).await?;
        let territories = territories::list(db)
            .await?
            .into_iter()
            .map(|t| (t.name, t.id))
            .collect();
        let users = users::list(db)
            .await?
            .into_iter()
            .filter(|u| !u.disabled)
            .map(|u| (u.username, u.id))
            .collect();
        Ok(Context {
            settings,
            lookups: Lookups {
                territories,
                users,
                scope,
            },
            may_reassign: default_permissions(user.role).contains(&Permission::CustomersReassign),
        })
    }
}

/// What a key is known to match.
#[derive(Clone, Debug)]
enum Known {
    /// No customer.
    Absent,
    /// Several customers: the row cannot say which.
    Ambiguous,
    /// One customer (existing, or created by an earlier row of this import).
    Found(Match),
}

#[derive(Clone, Copy, Debug)]
struct Match {
    id: DocId,
    territory: Option<TerritoryId>,
    owner: Option<UserId>,
    /// The row of this import that created or last updated it.
    row: Option<u32>,
}

/// The dedupe index of one run: keys seen in the file or looked up in the database.
#[derive(Debug, Default)]
pub struct Dedupe {
    known: HashMap<String, Known>,
    phones_loaded: bool,
    /// Customers this run creates (a dry run does not store them).
    created: std::collections::HashSet<DocId>,
}

impl Dedupe {
    /// Looks up the keys of `plans` not known yet.
    async fn look_up(&mut self, db: &Db, rule: MatchBy, plans: &[RowPlan]) -> Result<(), DbError> {
        let column = match rule {
            MatchBy::None => return Ok(()),
            MatchBy::Phone => {
                if !self.phones_loaded {
                    self.phones_loaded = true;
                    for e in imports::customers_with_phone(db).await? {
                        let key = mapping::phone_digits(&e.key);
                        if !key.is_empty() {
                            self.add_existing(key, &e);
                        }
                    }
                }
                return Ok(());
            }
            MatchBy::Code => KeyColumn::Code,
            MatchBy::Name => KeyColumn::Name,
        };
        let mut wanted: Vec<String> = plans
            .iter()
            .flat_map(|p| p.patch.keys(rule))
            .filter(|k| !self.known.contains_key(k))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(());
        }
        for e in imports::customers_by(db, column, &wanted).await? {
            self.add_existing(e.key.clone(), &e);
        }
        for k in wanted {
            self.known.entry(k).or_insert(Known::Absent);
        }
        Ok(())
    }

    fn add_existing(&mut self, key: String, e: &imports::Existing) {
        let found = Known::Found(Match {
            id: e.id,
            territory: e.territory,
            owner: e.owner,
            row: None,
        });
        match self.known.get(&key) {
            Some(Known::Found(m)) if m.id != e.id => {
                self.known.insert(key, Known::Ambiguous);
            }
            Some(Known::Found(_) | Known::Ambiguous) => {}
            _ => {
                self.known.insert(key, found);
            }
        }
    }

    fn first_hit(&self, keys: &[String]) -> Option<(String, Known)> {
        keys.iter()
            .filter_map(|k| self.known.get(k).map(|v| (k, v)))
            .find(|(_, v)| !matches!(v, Known::Absent))
            .map(|(k, v)| (k.clone(), v.clone()))
    }

    fn remember(&mut self, keys: &[String], m: Match) {
        for k in keys {
            self.known.insert(k.clone(), Known::Found(m));
        }
    }
}

/// What happens to a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Creates a customer.
    Create,
    /// Updates a customer (existing or created by an earlier row).
    Update,
    /// Matches a customer and is skipped.
    Skip,
    /// Not imported.
    Reject,
}

impl Action {
    /// Message key of its label.
    pub fn label_key(self) -> &'static str {
        match self {
            Action::Create => "imp.act.create",
            Action::Update => "imp.act.update",
            Action::Skip => "imp.act.skip",
            Action::Reject => "imp.act.reject",
        }
    }
}

/// A decided row.
#[derive(Clone, Debug)]
pub struct Decided {
    /// The checked row.
    pub plan: RowPlan,
    /// What happens.
    pub action: Action,
    /// Why (rejects), or what it matched (skips).
    pub notes: Vec<Problem>,
    /// The customer it creates or updates.
    pub target: Option<DocId>,
}

/// Work a batch leaves for the write path.
#[derive(Debug, Default)]
struct Pending {
    /// New customers in row order: (id, record, rows contributing).
    creates: Vec<(DocId, Customer, Vec<usize>)>,
    /// Updates of existing customers: id → (patches in row order, rows).
    updates: Vec<(DocId, Vec<Patch>, Vec<usize>)>,
}

fn name_column(s: &ImportSettings) -> Option<usize> {
    s.columns.iter().position(|t| *t == mapping::Target::Name)
}

fn invalid(errors: Vec<fieldcrm_core::domain::values::FieldError>) -> Vec<Problem> {
    errors
        .into_iter()
        .map(|e| Problem::row("imp.err.invalid", e.to_string()))
        .collect()
}

/// Decides a batch of rows in order, updating the dedupe index.
async fn decide(
    db: &Db,
    ctx: &Context,
    dedupe: &mut Dedupe,
    rows: &[SheetRow],
) -> Result<(Vec<Decided>, Pending), DbError> {
    let s = &ctx.settings;
    let plans: Vec<RowPlan> = rows
        .iter()
        .map(|r| mapping::plan_row(r.row_no, &r.cells, s, &ctx.lookups))
        .collect();
    let clean: Vec<RowPlan> = plans
        .iter()
        .filter(|p| p.problems.is_empty())
        .cloned()
        .collect();
    dedupe.look_up(db, s.match_by, &clean).await?;
    let mut pending = Pending::default();
    let mut out = Vec::with_capacity(plans.len());
    for (i, plan) in plans.into_iter().enumerate() {
        let (action, notes, target) = decide_row(ctx, dedupe, &mut pending, i, &plan);
        out.push(Decided {
            plan,
            action,
            notes,
            target,
        });
    }
    Ok((out, pending))
}

fn decide_row(
    ctx: &Context,
    dedupe: &mut Dedupe,
    pending: &mut Pending,
    i: usize,
    plan: &RowPlan,
) -> (Action, Vec<Problem>, Option<DocId>) {
    let s = &ctx.settings;
    if !plan.problems.is_empty() {
        return (Action::Reject, plan.problems.clone(), None);
    }
    let p = &plan.patch;
    let keys = p.keys(s.match_by);
    let hit = dedupe.first_hit(&keys);
    match hit {
        None | Some((_, Known::Absent)) => {
            if p.name.is_none() {
                let mut problem = Problem::row("imp.err.name_required", "");
                problem.column = name_column(s);
                return (Action::Reject, vec![problem], None);
            }
            let Some(territory) = p.territory.or(s.default_territory) else {
                return (
                    Action::Reject,
                    vec![Problem::row("imp.err.territory_required", "")],
                    None,
                );
            };
            if !ctx.lookups.scope.contains(territory) {
                return (
                    Action::Reject,
                    vec![Problem::row("imp.err.territory_scope", "")],
                    None,
                );
            }
            let mut c = Customer::default();
            p.apply(&mut c);
            c.territory = Some(territory);
            let errors = c.validate();
            if !errors.is_empty() {
                return (Action::Reject, invalid(errors), None);
            }
            let id = DocId::new();
            dedupe.created.insert(id);
            dedupe.remember(
                &keys,
                Match {
                    id,
                    territory: Some(territory),
                    owner: c.owner,
                    row: Some(plan.row_no),
                },
            );
            pending.creates.push((id, c, vec![i]));
            (Action::Create, Vec::new(), Some(id))
        }
        Some((key, Known::Ambiguous)) => (
            Action::Reject,
            vec![Problem::row("imp.err.ambiguous", key)],
            None,
        ),
        Some((_, Known::Found(m))) => {
            if !write::anchor_in_scope(&ctx.lookups.scope, m.territory) {
                return (
                    Action::Reject,
                    vec![Problem::row("imp.err.match_scope", "")],
                    None,
                );
            }
            if s.on_match == OnMatch::Skip {
                let note = match m.row {
                    Some(r) => Problem::row("imp.skip.duplicate_row", r.to_string()),
                    None => Problem::row("imp.skip.exists", ""),
                };
                dedupe.remember(&keys, m);
                return (Action::Skip, vec![note], Some(m.id));
            }
            let moves = p.territory.is_some_and(|t| Some(t) != m.territory);
            let reowns = p.owner.is_some_and(|o| Some(o) != m.owner);
            if (moves || reowns) && !ctx.may_reassign {
                return (
                    Action::Reject,
                    vec![Problem::row("imp.err.reassign", "")],
                    None,
                );
            }
            if let Some((_, c, rows)) = pending.creates.iter_mut().find(|(id, _, _)| *id == m.id) {
                let mut merged = c.clone();
                p.apply(&mut merged);
                let errors = merged.validate();
                if !errors.is_empty() {
                    return (Action::Reject, invalid(errors), None);
                }
                *c = merged;
                rows.push(i);
            } else if let Some((_, patches, rows)) =
                pending.updates.iter_mut().find(|(id, _, _)| *id == m.id)
            {
                patches.push(p.clone());
                rows.push(i);
            } else {
                pending.updates.push((m.id, vec![p.clone()], vec![i]));
            }
            let updated = Match {
                territory: p.territory.or(m.territory),
                owner: p.owner.or(m.owner),
                row: Some(plan.row_no),
                ..m
            };
            dedupe.remember(&keys, updated);
            (Action::Update, Vec::new(), Some(m.id))
        }
    }
}

fn apply_patches(value: &mut serde_json::Value, patches: &[Patch]) -> Result<(), WriteError> {
    let mut c: Customer =
        serde_json::from_value(value.clone()).map_err(|e| WriteError::Invalid(e.to_string()))?;
    for p in patches {
        p.apply(&mut c);
    }
    *value = serde_json::to_value(&c).map_err(|e| WriteError::Invalid(e.to_string()))?;
    Ok(())
}

/// Rejects every row of a refused write.
fn refuse(decided: &mut [Decided], rows: &[usize], why: String) {
    for r in rows {
        if let Some(d) = decided.get_mut(*r) {
            d.action = Action::Reject;
            d.notes = vec![Problem::row("imp.err.invalid", why.clone())];
            d.target = None;
        }
    }
}

/// Writes a batch's creates and updates (or, for a dry run, validates the updates against the
/// stored customers), turning refused writes into rejected rows.
async fn execute(
    db: &Db,
    hub: &Hub,
    user: RunUser,
    dry_run: Option<&Dedupe>,
    decided: &mut [Decided],
    pending: Pending,
) -> Result<(), RunError> {
    if let Some(dedupe) = dry_run {
        for (id, patches, rows) in pending.updates {
            if dedupe.created.contains(&id) {
                // Created by an earlier batch of this dry run: never stored, already validated.
                continue;
            }
            let mut v = match write::load_record(db, id).await {
                Ok(v) => v,
                Err(WriteError::NotFound(_)) => {
                    refuse(decided, &rows, "customer no longer exists".into());
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let result = apply_patches(&mut v, &patches).and_then(|()| {
                serde_json::from_value::<Customer>(v)
                    .map_err(|e| WriteError::Invalid(e.to_string()))
            });
            match result {
                Ok(c) => {
                    if let Some(e) = c.validate().first() {
                        refuse(decided, &rows, e.to_string());
                    }
                }
                Err(e) => refuse(decided, &rows, e.to_string()),
            }
        }
        return Ok(());
    }
    if !pending.creates.is_empty() {
        let mut docs = Vec::with_capacity(pending.creates.len());
        for (id, c, _) in &pending.creates {
            docs.push(NewDoc {
                kind: fieldcrm_core::document::Kind::Customer,
                id: *id,
                record: serde_json::to_value(c).map_err(|e| RunError::Settings(e.to_string()))?,
            });
        }
        let result = write::server_create_many(db, hub, &docs, Some(user.id)).await?;
        for (i, why) in result.refused {
            if let Some((_, _, rows)) = pending.creates.get(i) {
                refuse(decided, rows, why);
            }
        }
    }
    if !pending.updates.is_empty() {
        let mut edits: Vec<(DocId, write::Edit)> = Vec::with_capacity(pending.updates.len());
        let mut rows_of = Vec::with_capacity(pending.updates.len());
        for (id, patches, rows) in pending.updates {
            edits.push((id, Box::new(move |v| apply_patches(v, &patches))));
            rows_of.push(rows);
        }
        let result =
            write::server_update_many(db, hub, edits, Some(user.id), "import.update").await?;
        for (r, rows) in result.results.into_iter().zip(rows_of) {
            if let Err(e) = r {
                refuse(decided, &rows, e.to_string());
            }
        }
    }
    Ok(())
}

/// Decides the first rows of a file for the preview (nothing is written).
pub async fn preview(db: &Db, ctx: &Context, rows: &[SheetRow]) -> Result<Vec<Decided>, DbError> {
    let mut dedupe = Dedupe::default();
    Ok(decide(db, ctx, &mut dedupe, rows).await?.0)
}

fn count(c: &mut Counts, d: &Decided) {
    c.done += 1;
    match d.action {
        Action::Create => c.created += 1,
        Action::Update => c.updated += 1,
        Action::Skip => c.skipped += 1,
        Action::Reject => c.rejected += 1,
    }
}

/// Runs an import over `rows`, recording progress and rejected rows after every batch; stops
/// before a batch when the job was asked to cancel.
#[expect(clippy::too_many_arguments, reason = "the run's inputs, each used")]
pub async fn run_rows(
    db: &Db,
    hub: &Hub,
    job: JobId,
    user: RunUser,
    ctx: &Context,
    rows: &[SheetRow],
    dry_run: bool,
    gate: &BatchGate,
) -> Result<RunEnd, RunError> {
    let mut dedupe = Dedupe::default();
    let mut counts = Counts::default();
    for chunk in rows.chunks(BATCH) {
        gate.pass().await;
        if imports::cancel_requested(db, job).await? {
            return Ok(RunEnd {
                counts,
                cancelled: true,
            });
        }
        let (mut decided, pending) = decide(db, ctx, &mut dedupe, chunk).await?;
        execute(
            db,
            hub,
            user,
            dry_run.then_some(&dedupe),
            &mut decided,
            pending,
        )
        .await?;
        let mut rejects = Vec::new();
        for (d, row) in decided.iter().zip(chunk) {
            count(&mut counts, d);
            if d.action == Action::Reject {
                rejects.push(Reject {
                    row_no: i64::from(row.row_no),
                    cells: serde_json::to_string(&row.cells)
                        .map_err(|e| RunError::Settings(e.to_string()))?,
                    reasons: serde_json::to_string(&d.notes)
                        .map_err(|e| RunError::Settings(e.to_string()))?,
                });
            }
        }
        imports::progress(db, job, &rejects, &counts).await?;
    }
    Ok(RunEnd {
        counts,
        cancelled: false,
    })
}

/// Reads a job's stored file into rows (on a blocking thread).
pub async fn load_rows(db: &Db, job: JobId) -> Result<sheet::Sheet, RunError> {
    let bytes = imports::file_data(db, job).await?;
    tokio::task::spawn_blocking(move || sheet::read(&bytes))
        .await
        .map_err(|e| RunError::Join(e.to_string()))?
        .map_err(RunError::from)
}

/// Parses stored settings, fitted to `width` columns.
pub fn parse_settings(text: &str, width: usize) -> Result<ImportSettings, RunError> {
    let mut s: ImportSettings =
        serde_json::from_str(text).map_err(|e| RunError::Settings(e.to_string()))?;
    s.columns.resize(width, mapping::Target::Ignore);
    Ok(s)
}

/// A whole run of a job that [`imports::start_run`] marked running: reads the file, imports,
/// finishes the job (checked, done, cancelled or failed) and audits it.
pub async fn run_job(
    db: Db,
    hub: Hub,
    job: imports::Job,
    user: RunUser,
    dry_run: bool,
    gate: BatchGate,
) {
    let started = std::time::Instant::now();
    let result = async {
        let sheet = load_rows(&db, job.id).await?;
        let settings = parse_settings(&job.settings, sheet.headers.len())?;
        let ctx = Context::load(&db, user, settings).await?;
        run_rows(&db, &hub, job.id, user, &ctx, &sheet.rows, dry_run, &gate).await
    }
    .await;
    let (status, error, counts) = match result {
        Ok(end) => (
            if end.cancelled {
                JobStatus::Cancelled
            } else if dry_run {
                JobStatus::Checked
            } else {
                JobStatus::Done
            },
            String::new(),
            Some(end.counts),
        ),
        Err(e) => {
            tracing::error!(job = %job.id, error = %e, "import failed");
            (JobStatus::Failed, e.to_string(), None)
        }
    };
    if let Err(e) = imports::finish(&db, job.id, status, &error, !dry_run).await {
        tracing::error!(job = %job.id, error = %e, "cannot finish import job");
    }
    let counts = match counts {
        Some(c) => c,
        None => imports::get(&db, job.id)
            .await
            .ok()
            .flatten()
            .map(|j| j.counts)
            .unwrap_or_default(),
    };
    let mut entry = AuditEntry::new(if dry_run {
        "import.dry_run"
    } else {
        "import.run"
    });
    entry.user_id = Some(user.id);
    entry.kind = Some("customer".into());
    entry.verdict = Some(status.as_str().to_owned());
    entry.detail = json!({
        "job": job.id.to_string(),
        "file": job.file_name,
        "rows": job.total_rows,
        "done": counts.done,
        "created": counts.created,
        "updated": counts.updated,
        "skipped": counts.skipped,
        "rejected": counts.rejected,
        "error": error,
        "ms": u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    });
    if let Err(e) = audit::record(&db, &entry).await {
        tracing::error!(error = %e, "cannot write audit entry");
    }
}
