//! The write path. Every change to a synced document — a device's push, a back-office edit, a
//! territory move, the demo seed — goes through here: one serialised transaction that loads the
//! document, decides, stores the changes and the projection, and announces the new sequence number.

use automerge::{Automerge, ChangeHash};
use fieldcrm_core::document::{self, Anchor, Kind};
use fieldcrm_core::protocol::{RejectCode, Verdict};
use fieldcrm_core::schema::{Reference, Required};
use fieldcrm_core::sync::server::{Writer, evaluate_with, server_write};
use fieldcrm_core::{DeviceId, DocId, Role, TerritoryId, UserId};
use serde_json::{Value, json};

use crate::db::Db;
use crate::db::audit::{self, AuditEntry};
use crate::db::documents::{self, DocWrite, WriteTx};
use crate::db::schema;
use crate::db::territories::{self, ScopeTerritories};
use crate::db::{Backend, DbError};
use crate::sync::{Hub, derive};

/// Errors of the write path (not verdicts: those are answers, not errors).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A stored document does not load.
    #[error("stored document {0} is corrupt: {1}")]
    Corrupt(DocId, String),
    /// The document machinery refused a server edit.
    #[error(transparent)]
    Doc(Box<document::DocError>),
    /// The document does not exist.
    #[error("document {0} not found")]
    NotFound(DocId),
    /// The edit is not allowed.
    #[error("{0}")]
    Invalid(String),
}

impl From<document::DocError> for WriteError {
    fn from(e: document::DocError) -> Self {
        WriteError::Doc(Box::new(e))
    }
}

/// Who pushes.
#[derive(Debug, Clone, Copy)]
pub struct Pusher {
    /// User.
    pub user: UserId,
    /// Device.
    pub device: DeviceId,
    /// Role.
    pub role: Role,
}

/// The answer to a push.
#[derive(Debug, Clone)]
pub struct PushOutcome {
    /// The verdict.
    pub verdict: Verdict,
    /// Server changes the device must apply.
    pub server_changes: Vec<Vec<u8>>,
    /// Server heads after the push.
    pub heads: Vec<ChangeHash>,
    /// The sequence number, when something was stored.
    pub seq: Option<u64>,
}

fn heads_bytes(doc: &Automerge) -> Vec<u8> {
    doc.get_heads().iter().flat_map(|h| h.0).collect()
}

fn rejected(code: RejectCode, reason: impl Into<String>) -> Verdict {
    Verdict::Rejected {
        code,
        reason: reason.into(),
    }
}

/// Whether a stored document with these anchors is in `scope`.
pub fn anchor_in_scope(scope: &ScopeTerritories, territory: Option<TerritoryId>) -> bool {
    match scope {
        ScopeTerritories::All => true,
        _ => territory.is_some_and(|t| scope.contains(t)),
    }
}

/// What a record's anchor resolves to in storage: `(territory, assignee)`, or why it does not
/// resolve (a customer the server does not know).
async fn resolve_anchor(
    w: &mut WriteTx,
    anchor: Anchor,
) -> Result<Result<(Option<TerritoryId>, Option<UserId>), String>, WriteError> {
    Ok(match anchor {
        Anchor::Territory(t) => Ok((t, None)),
        Anchor::Customer(Some(c)) => match documents::customer_territory(w, c.into()).await? {
            Some(t) => Ok((t, None)),
            None => Err(format!("unknown customer {c}")),
        },
        Anchor::Customer(None) => Ok((None, None)),
        Anchor::Assignee(a) => Ok((None, a)),
    })
}

async fn announce(db: &Db, w: &mut WriteTx) -> Result<(), DbError> {
    if db.backend() == Backend::Postgres {
        w.notify(crate::sync::NOTIFY_CHANNEL).await?;
    }
    Ok(())
}

/// Evaluates and stores a device's push.
pub async fn push(
    db: &Db,
    hub: &Hub,
    who: Pusher,
    id: DocId,
    kind: Kind,
    changes: Vec<Vec<u8>>,
) -> Result<PushOutcome, WriteError> {
    let scope = territories::scope_territories(db, who.user, who.role).await?;
    // Custom values are checked against the definitions as they are now (the cached copy after
    // one version check, made before the write lock and outside its transaction, so it sees
    // every committed change: an admin change racing a push applies to the next push; decision
    // 0020).
    let reference = schema::reference(db).await?;
    let mut w = documents::begin_write(db).await?;
    let stored = documents::load_for_write(&mut w, id).await?;
    let existing = match &stored {
        None => None,
        Some(s) => {
            if s.kind != kind {
                w.rollback().await?;
                return finish_rejected(
                    db,
                    who,
                    id,
                    kind,
                    RejectCode::KindMismatch,
                    format!("document is a {}, not a {kind}", s.kind),
                )
                .await;
            }
            if !documents::visible(&scope, who.user, s.territory, s.assignee) {
                w.rollback().await?;
                return finish_rejected(
                    db,
                    who,
                    id,
                    kind,
                    RejectCode::OutOfScope,
                    "this record is not in your territories".to_owned(),
                )
                .await;
            }
            Some(document::load(&s.data).map_err(|e| WriteError::Corrupt(id, e.to_string()))?)
        }
    };
    let ev = evaluate_with(
        kind,
        existing.as_ref(),
        &changes,
        Writer {
            user: who.user,
            role: who.role,
        },
        &*reference,
    );
    if let Verdict::Rejected { code, reason } = &ev.verdict {
        w.rollback().await?;
        return finish_rejected(db, who, id, kind, *code, reason.clone()).await;
    }
    let (Some(mut doc), Some(mut record)) = (ev.doc, ev.record) else {
        // Nothing new: the server already had every change.
        w.rollback().await?;
        return Ok(PushOutcome {
            verdict: Verdict::Accepted,
            server_changes: Vec::new(),
            heads: existing.map(|d| d.get_heads()).unwrap_or_default(),
            seq: None,
        });
    };
    let (territory, assignee) = match &stored {
        Some(s) => (s.territory, s.assignee),
        None => {
            let anchor = document::anchor_json(kind, &record)?;
            let (territory, assignee) = match resolve_anchor(&mut w, anchor).await? {
                Ok(a) => a,
                Err(why) => {
                    w.rollback().await?;
                    return finish_rejected(db, who, id, kind, RejectCode::OutOfScope, why).await;
                }
            };
            let anchored = territory.is_some() || assignee.is_some();
            if !anchored || !documents::visible(&scope, who.user, territory, assignee) {
                w.rollback().await?;
                let why = "a new record must be inside one of your territories".to_owned();
                return finish_rejected(db, who, id, kind, RejectCode::OutOfScope, why).await;
            }
            (territory, assignee)
        }
    };
    // Values only the server can derive (prices, numbers), in this transaction.
    let underived = record.clone();
    let adjusted = derive::derive(w.conn(), kind, Some(who.user), &mut record).await?;
    let derived = if record == underived {
        None
    } else {
        server_write(kind, &mut doc, &record, "server: derive")?
    };
    let verdict = with_adjustments(ev.verdict, &adjusted);
    let mut server_changes: Vec<Vec<u8>> = ev.server_change.into_iter().collect();
    server_changes.extend(derived);
    let mut appended: Vec<u8> = ev.new_changes.concat();
    for sc in &server_changes {
        appended.extend_from_slice(sc);
    }
    let seq = w.seq();
    let saved = || doc.save();
    documents::store(
        &mut w,
        DocWrite {
            id,
            kind,
            is_new: stored.is_none(),
            territory,
            assignee,
            changes: appended,
            saved: &saved,
            previous_change_count: stored.as_ref().map_or(0, |s| s.change_count),
            heads: heads_bytes(&doc),
            created_by: Some(who.user),
            by: Some(who.user),
            record: &record,
            moved_from: None,
        },
    )
    .await?;
    announce(db, &mut w).await?;
    w.commit().await?;
    hub.committed(seq);

    let (verdict_name, detail) = match &verdict {
        Verdict::Compensated { paths, reasons } => (
            "compensated",
            json!({"paths": ev.paths, "restored": paths, "reasons": reasons}),
        ),
        _ => ("accepted", json!({"paths": ev.paths})),
    };
    let mut detail = detail;
    detail["changes"] = json!(
        ev.new_hashes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    detail["seq"] = json!(seq);
    record_audit(db, who, id, kind, verdict_name, detail).await;
    Ok(PushOutcome {
        verdict,
        server_changes,
        heads: doc.get_heads(),
        seq: Some(seq),
    })
}

/// The verdict once the server's derivations changed values against the writer's wishes: those
/// are compensations too (the device is told why).
fn with_adjustments(verdict: Verdict, adjusted: &[fieldcrm_core::domain::FieldError]) -> Verdict {
    if adjusted.is_empty() {
        return verdict;
    }
    let (mut paths, mut reasons) = match verdict {
        Verdict::Compensated { paths, reasons } => (paths, reasons),
        _ => (Vec::new(), Vec::new()),
    };
    for e in adjusted {
        if !paths.contains(&e.field) {
            paths.push(e.field.clone());
        }
        reasons.push(e.to_string());
    }
    Verdict::Compensated { paths, reasons }
}

async fn finish_rejected(
    db: &Db,
    who: Pusher,
    id: DocId,
    kind: Kind,
    code: RejectCode,
    reason: String,
) -> Result<PushOutcome, WriteError> {
    let code_name = serde_json::to_value(code).unwrap_or(Value::Null);
    record_audit(
        db,
        who,
        id,
        kind,
        "rejected",
        json!({"code": code_name, "reason": reason}),
    )
    .await;
    Ok(PushOutcome {
        verdict: rejected(code, reason),
        server_changes: Vec::new(),
        heads: Vec::new(),
        seq: None,
    })
}

async fn record_audit(db: &Db, who: Pusher, id: DocId, kind: Kind, verdict: &str, detail: Value) {
    let mut entry = AuditEntry::new("sync.push");
    entry.user_id = Some(who.user);
    entry.device_id = Some(who.device);
    entry.doc_id = Some(id.to_string());
    entry.kind = Some(kind.as_str().to_owned());
    entry.verdict = Some(verdict.to_owned());
    entry.detail = detail;
    if let Err(e) = audit::record(db, &entry).await {
        tracing::error!(error = %e, doc = %id, "cannot write audit entry");
    }
}

/// Creates a document as the server (seed, back office). `territory` is required for customers;
/// visits take their customer's.
pub async fn server_create(
    db: &Db,
    hub: &Hub,
    kind: Kind,
    id: DocId,
    record: &Value,
    created_by: Option<UserId>,
) -> Result<u64, WriteError> {
    let doc = prepare_create(&*schema::reference(db).await?, kind, record)?;
    let mut w = documents::begin_write(db).await?;
    if let Err(e) = store_created(&mut w, kind, id, &doc, created_by).await {
        w.rollback().await?;
        return Err(e);
    }
    announce(db, &mut w).await?;
    let seq = w.seq();
    w.commit().await?;
    hub.committed(seq);
    Ok(seq)
}

/// One document for [`server_create_many`].
#[derive(Debug, Clone)]
pub struct NewDoc {
    /// Its kind.
    pub kind: Kind,
    /// Its id (new).
    pub id: DocId,
    /// The typed record.
    pub record: Value,
}

/// What [`server_create_many`] did.
#[derive(Debug, Clone, Default)]
pub struct CreateMany {
    /// The sequence number every stored document carries (`None` when nothing was stored).
    pub seq: Option<u64>,
    /// Documents not stored, by index into the input, with the reason.
    pub refused: Vec<(usize, String)>,
}

/// Creates many documents as the server in one write transaction under one sequence number (bulk
/// imports): one lock, one commit and one announcement instead of one per document. Records that
/// do not validate (or whose anchor does not resolve) are refused individually and the others
/// are stored; any storage error rolls the whole batch back. Works for every kind.
pub async fn server_create_many(
    db: &Db,
    hub: &Hub,
    docs: &[NewDoc],
    created_by: Option<UserId>,
) -> Result<CreateMany, WriteError> {
    let mut out = CreateMany::default();
    // Building the documents is CPU work: done before the writers' lock is taken.
    let reference = schema::reference(db).await?;
    let mut prepared = Vec::with_capacity(docs.len());
    for (i, d) in docs.iter().enumerate() {
        match prepare_create(&reference, d.kind, &d.record) {
            Ok(doc) => prepared.push((i, d, doc)),
            Err(WriteError::Invalid(m)) => out.refused.push((i, m)),
            Err(WriteError::Doc(e)) => out.refused.push((i, e.to_string())),
            Err(e) => return Err(e),
        }
    }
    if prepared.is_empty() {
        return Ok(out);
    }
    let mut w = documents::begin_write(db).await?;
    let mut stored = 0usize;
    for (i, d, doc) in &prepared {
        match store_created(&mut w, d.kind, d.id, doc, created_by).await {
            Ok(()) => stored += 1,
            Err(WriteError::Invalid(m)) => out.refused.push((*i, m)),
            Err(e) => {
                w.rollback().await?;
                return Err(e);
            }
        }
    }
    out.refused.sort_by_key(|(i, _)| *i);
    if stored == 0 {
        w.rollback().await?;
        return Ok(out);
    }
    announce(db, &mut w).await?;
    let seq = w.seq();
    w.commit().await?;
    hub.committed(seq);
    out.seq = Some(seq);
    Ok(out)
}

/// A new document of `kind` holding `record`, written by the server and validated.
struct PreparedDoc {
    doc: Automerge,
    typed: Value,
}

fn prepare_create(
    reference: &Reference,
    kind: Kind,
    record: &Value,
) -> Result<PreparedDoc, WriteError> {
    let mut doc = Automerge::new();
    server_write(kind, &mut doc, record, "create")?;
    let typed = document::typed_json(kind, &doc)?;
    let errors = document::validate_json(kind, &typed)?;
    if let Some(e) = errors.first() {
        return Err(WriteError::Invalid(e.to_string()));
    }
    check_custom(reference, kind, None, &typed)?;
    Ok(PreparedDoc { doc, typed })
}

/// Stores a prepared new document inside `w` (resolving a customer anchor inside it).
async fn store_created(
    w: &mut WriteTx,
    kind: Kind,
    id: DocId,
    p: &PreparedDoc,
    created_by: Option<UserId>,
) -> Result<(), WriteError> {
    let mut typed = p.typed.clone();
    derive::derive(w.conn(), kind, created_by, &mut typed).await?;
    let derived;
    let p = if typed == p.typed {
        p
    } else {
        let mut doc = p.doc.clone();
        server_write(kind, &mut doc, &typed, "server: derive")?;
        derived = PreparedDoc { doc, typed };
        &derived
    };
    let (territory, assignee) = resolve_anchor(w, document::anchor_json(kind, &p.typed)?)
        .await?
        .map_err(WriteError::Invalid)?;
    let saved = || p.doc.save();
    documents::store(
        w,
        DocWrite {
            id,
            kind,
            is_new: true,
            territory,
            assignee,
            changes: Vec::new(),
            saved: &saved,
            previous_change_count: 0,
            heads: heads_bytes(&p.doc),
            created_by,
            by: created_by,
            record: &p.typed,
            moved_from: None,
        },
    )
    .await?;
    Ok(())
}

/// An edit of the typed JSON of a document, applied inside the write transaction.
pub type Edit = Box<dyn FnOnce(&mut Value) -> Result<(), WriteError> + Send>;

/// Edits a document as the server: `edit` changes the typed JSON. Server-owned fields may change
/// here (this is the office's path). Returns the sequence number, or `None` when nothing changed.
pub async fn server_update(
    db: &Db,
    hub: &Hub,
    id: DocId,
    actor: Option<UserId>,
    action: &str,
    edit: impl FnOnce(&mut Value) -> Result<(), WriteError>,
) -> Result<Option<u64>, WriteError> {
    let reference = schema::reference(db).await?;
    let mut w = documents::begin_write(db).await?;
    let applied = match update_in(&mut w, &reference, id, actor, action, edit).await {
        Ok(Some(a)) => a,
        Ok(None) => {
            w.rollback().await?;
            return Ok(None);
        }
        Err(e) => {
            w.rollback().await?;
            return Err(e);
        }
    };
    announce(db, &mut w).await?;
    let seq = w.seq();
    w.commit().await?;
    hub.committed(seq);
    let entry = update_audit(actor, action, id, applied, seq);
    if let Err(e) = audit::record(db, &entry).await {
        tracing::error!(error = %e, "cannot write audit entry");
    }
    Ok(Some(seq))
}

/// What [`server_update_many`] did with each edit, in input order.
#[derive(Debug)]
pub struct UpdateMany {
    /// The sequence number every changed document carries (`None` when nothing changed).
    pub seq: Option<u64>,
    /// Per edit: `Ok(true)` changed, `Ok(false)` nothing to change, `Err` refused (not found,
    /// invalid); refused edits store nothing, the others are committed together.
    pub results: Vec<Result<bool, WriteError>>,
}

/// Edits many documents as the server in one write transaction under one sequence number (bulk
/// imports), each edit as [`server_update`] would apply it and audited the same way. An edit
/// that is refused (document missing, result invalid) is reported and skipped; any storage error
/// rolls the whole batch back. Each document may appear at most once.
pub async fn server_update_many(
    db: &Db,
    hub: &Hub,
    edits: Vec<(DocId, Edit)>,
    actor: Option<UserId>,
    action: &str,
) -> Result<UpdateMany, WriteError> {
    let mut seen = std::collections::HashSet::new();
    if let Some((id, _)) = edits.iter().find(|(id, _)| !seen.insert(*id)) {
        return Err(WriteError::Invalid(format!(
            "document {id} edited twice in one batch"
        )));
    }
    let reference = schema::reference(db).await?;
    let mut w = documents::begin_write(db).await?;
    let mut results = Vec::with_capacity(edits.len());
    let mut applied = Vec::new();
    for (id, edit) in edits {
        match update_in(&mut w, &reference, id, actor, action, edit).await {
            Ok(Some(a)) => {
                applied.push((id, a));
                results.push(Ok(true));
            }
            Ok(None) => results.push(Ok(false)),
            Err(e @ (WriteError::Invalid(_) | WriteError::NotFound(_))) => results.push(Err(e)),
            Err(e) => {
                w.rollback().await?;
                return Err(e);
            }
        }
    }
    if applied.is_empty() {
        w.rollback().await?;
        return Ok(UpdateMany { seq: None, results });
    }
    announce(db, &mut w).await?;
    let seq = w.seq();
    w.commit().await?;
    hub.committed(seq);
    let entries: Vec<AuditEntry> = applied
        .into_iter()
        .map(|(id, a)| update_audit(actor, action, id, a, seq))
        .collect();
    if let Err(e) = audit::record_many(db, &entries).await {
        tracing::error!(error = %e, "cannot write audit entries");
    }
    Ok(UpdateMany {
        seq: Some(seq),
        results,
    })
}

/// What one server edit changed.
struct Applied {
    kind: Kind,
    paths: Vec<String>,
}

fn update_audit(
    actor: Option<UserId>,
    action: &str,
    id: DocId,
    applied: Applied,
    seq: u64,
) -> AuditEntry {
    let mut entry = AuditEntry::new(action);
    entry.user_id = actor;
    entry.doc_id = Some(id.to_string());
    entry.kind = Some(applied.kind.as_str().to_owned());
    entry.verdict = Some("ok".to_owned());
    entry.detail = json!({"paths": applied.paths, "seq": seq});
    entry
}

/// Applies one server edit inside `w`: `None` when it changes nothing. On `Err` nothing of this
/// edit was stored (validation happens before any write).
async fn update_in(
    w: &mut WriteTx,
    reference: &Reference,
    id: DocId,
    actor: Option<UserId>,
    action: &str,
    edit: impl FnOnce(&mut Value) -> Result<(), WriteError>,
) -> Result<Option<Applied>, WriteError> {
    let Some(stored) = documents::load_for_write(w, id).await? else {
        return Err(WriteError::NotFound(id));
    };
    let mut doc =
        document::load(&stored.data).map_err(|e| WriteError::Corrupt(id, e.to_string()))?;
    let kind = stored.kind;
    let before = document::typed_json(kind, &doc)?;
    let mut after = before.clone();
    edit(&mut after)?;
    derive::derive(w.conn(), kind, actor, &mut after).await?;
    if let Some(e) = document::validate_json(kind, &after)?.first() {
        return Err(WriteError::Invalid(e.to_string()));
    }
    check_custom(reference, kind, Some(&before), &after)?;
    let Some(change) = server_write(kind, &mut doc, &after, action)? else {
        return Ok(None);
    };
    let typed = document::typed_json(kind, &doc)?;
    // Only a customer's territory and a dispatch's assignee move with an edit; visits and orders
    // follow their customer (moved with it below).
    let (new_territory, new_assignee) = match document::anchor_json(kind, &typed)? {
        Anchor::Territory(t) => (t, stored.assignee),
        Anchor::Assignee(a) => (stored.territory, a),
        Anchor::Customer(_) => (stored.territory, stored.assignee),
    };
    let moved = new_territory != stored.territory || new_assignee != stored.assignee;
    let saved = || doc.save();
    documents::store(
        w,
        DocWrite {
            id,
            kind,
            is_new: false,
            territory: new_territory,
            assignee: new_assignee,
            changes: change,
            saved: &saved,
            previous_change_count: stored.change_count,
            heads: heads_bytes(&doc),
            created_by: None,
            by: actor,
            record: &typed,
            moved_from: moved.then_some((stored.territory, stored.assignee)),
        },
    )
    .await?;
    if new_territory != stored.territory && kind == Kind::Customer {
        documents::move_children(w, id, stored.territory, new_territory).await?;
    }
    Ok(Some(Applied {
        kind,
        paths: document::changed_paths(&before, &typed)
            .into_iter()
            .collect(),
    }))
}

/// Checks the custom values a server write changes against the definitions (the forms check
/// required fields themselves; here, as for devices, a required value may not be removed).
fn check_custom(
    reference: &Reference,
    kind: Kind,
    before: Option<&Value>,
    after: &Value,
) -> Result<(), WriteError> {
    match reference
        .check(kind, before, after, Required::NotRemoved)
        .first()
    {
        Some(e) => Err(WriteError::Invalid(e.to_string())),
        None => Ok(()),
    }
}

/// Moves a customer (and its visits) to another territory: devices that lose it purge it, devices
/// that gain it receive it.
pub async fn move_customer(
    db: &Db,
    hub: &Hub,
    id: DocId,
    to: TerritoryId,
    actor: Option<UserId>,
) -> Result<Option<u64>, WriteError> {
    server_update(db, hub, id, actor, "customer.move", |v| {
        v["territory"] = json!(to.to_string());
        Ok(())
    })
    .await
}

/// Loads a document's typed record (back office, tests).
pub async fn load_record(db: &Db, id: DocId) -> Result<Value, WriteError> {
    let mut w = documents::begin_read(db).await?;
    let stored = documents::load_for_write(&mut w, id).await?;
    w.rollback().await?;
    let stored = stored.ok_or(WriteError::NotFound(id))?;
    let doc = document::load(&stored.data).map_err(|e| WriteError::Corrupt(id, e.to_string()))?;
    Ok(document::typed_json(stored.kind, &doc)?)
}
