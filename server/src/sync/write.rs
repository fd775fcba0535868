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
use crate::sync::Hub;

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
    // Custom values are checked against the definitions as they are now (read before the write
    // lock: an admin change racing a push applies to the next push).
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
            if !anchor_in_scope(&scope, s.territory) {
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
        &reference,
    );
    if let Verdict::Rejected { code, reason } = &ev.verdict {
        w.rollback().await?;
        return finish_rejected(db, who, id, kind, *code, reason.clone()).await;
    }
    let (Some(doc), Some(record)) = (ev.doc, ev.record) else {
        // Nothing new: the server already had every change.
        w.rollback().await?;
        return Ok(PushOutcome {
            verdict: Verdict::Accepted,
            server_changes: Vec::new(),
            heads: existing.map(|d| d.get_heads()).unwrap_or_default(),
            seq: None,
        });
    };
    let territory = match &stored {
        Some(s) => s.territory,
        None => {
            let anchor = document::anchor_json(kind, &record)?;
            let territory = match anchor {
                Anchor::Territory(t) => t,
                Anchor::Customer(Some(c)) => {
                    match documents::customer_territory(&mut w, c.into()).await? {
                        Some(t) => t,
                        None => {
                            w.rollback().await?;
                            return finish_rejected(
                                db,
                                who,
                                id,
                                kind,
                                RejectCode::OutOfScope,
                                format!("unknown customer {c}"),
                            )
                            .await;
                        }
                    }
                }
                Anchor::Customer(None) => None,
            };
            if !anchor_in_scope(&scope, territory) || territory.is_none() {
                w.rollback().await?;
                let why = "a new record must be inside one of your territories".to_owned();
                return finish_rejected(db, who, id, kind, RejectCode::OutOfScope, why).await;
            }
            territory
        }
    };
    let mut appended: Vec<u8> = ev.new_changes.concat();
    if let Some(sc) = &ev.server_change {
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
            assignee: stored.as_ref().and_then(|s| s.assignee),
            changes: appended,
            saved: &saved,
            previous_change_count: stored.as_ref().map_or(0, |s| s.change_count),
            heads: heads_bytes(&doc),
            created_by: Some(who.user),
            record: &record,
            moved_from: None,
        },
    )
    .await?;
    announce(db, &mut w).await?;
    w.commit().await?;
    hub.committed(seq);

    let (verdict_name, detail) = match &ev.verdict {
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
        verdict: ev.verdict,
        server_changes: ev.server_change.into_iter().collect(),
        heads: doc.get_heads(),
        seq: Some(seq),
    })
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
    let mut doc = Automerge::new();
    server_write(kind, &mut doc, record, "create")?;
    let typed = document::typed_json(kind, &doc)?;
    let errors = document::validate_json(kind, &typed)?;
    if let Some(e) = errors.first() {
        return Err(WriteError::Invalid(e.to_string()));
    }
    check_custom(&schema::reference(db).await?, kind, None, &typed)?;
    let mut w = documents::begin_write(db).await?;
    let territory = match document::anchor_json(kind, &typed)? {
        Anchor::Territory(t) => t,
        Anchor::Customer(Some(c)) => documents::customer_territory(&mut w, c.into())
            .await?
            .ok_or_else(|| WriteError::Invalid(format!("unknown customer {c}")))?,
        Anchor::Customer(None) => None,
    };
    let seq = w.seq();
    let saved = || doc.save();
    documents::store(
        &mut w,
        DocWrite {
            id,
            kind,
            is_new: true,
            territory,
            assignee: None,
            changes: Vec::new(),
            saved: &saved,
            previous_change_count: 0,
            heads: heads_bytes(&doc),
            created_by,
            record: &typed,
            moved_from: None,
        },
    )
    .await?;
    announce(db, &mut w).await?;
    w.commit().await?;
    hub.committed(seq);
    Ok(seq)
}

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
    let Some(stored) = documents::load_for_write(&mut w, id).await? else {
        w.rollback().await?;
        return Err(WriteError::NotFound(id));
    };
    let mut doc =
        document::load(&stored.data).map_err(|e| WriteError::Corrupt(id, e.to_string()))?;
    let kind = stored.kind;
    let before = document::typed_json(kind, &doc)?;
    let mut after = before.clone();
    edit(&mut after)?;
    if let Some(e) = document::validate_json(kind, &after)?.first() {
        w.rollback().await?;
        return Err(WriteError::Invalid(e.to_string()));
    }
    if let Err(e) = check_custom(&reference, kind, Some(&before), &after) {
        w.rollback().await?;
        return Err(e);
    }
    let Some(change) = server_write(kind, &mut doc, &after, action)? else {
        w.rollback().await?;
        return Ok(None);
    };
    let typed = document::typed_json(kind, &doc)?;
    let new_territory = match (kind, document::anchor_json(kind, &typed)?) {
        (Kind::Customer, Anchor::Territory(t)) => t,
        _ => stored.territory,
    };
    let moved = new_territory != stored.territory;
    let seq = w.seq();
    let saved = || doc.save();
    documents::store(
        &mut w,
        DocWrite {
            id,
            kind,
            is_new: false,
            territory: new_territory,
            assignee: stored.assignee,
            changes: change,
            saved: &saved,
            previous_change_count: stored.change_count,
            heads: heads_bytes(&doc),
            created_by: None,
            record: &typed,
            moved_from: moved.then_some((stored.territory, stored.assignee)),
        },
    )
    .await?;
    if moved && kind == Kind::Customer {
        documents::move_children(&mut w, id, stored.territory, new_territory).await?;
    }
    announce(db, &mut w).await?;
    w.commit().await?;
    hub.committed(seq);
    let paths: Vec<String> = document::changed_paths(&before, &typed)
        .into_iter()
        .collect();
    let mut entry = AuditEntry::new(action);
    entry.user_id = actor;
    entry.doc_id = Some(id.to_string());
    entry.kind = Some(kind.as_str().to_owned());
    entry.verdict = Some("ok".to_owned());
    entry.detail = json!({"paths": paths, "seq": seq});
    if let Err(e) = audit::record(db, &entry).await {
        tracing::error!(error = %e, "cannot write audit entry");
    }
    Ok(Some(seq))
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
