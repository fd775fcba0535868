//! The server's verdict on a push: apply the device's changes to a fork of the stored document,
//! check authorship, the write policy and the domain invariants, and compute the server change
//! that compensates anything not allowed. Pure: the caller checks scope, stores and fans out.

use std::collections::{BTreeSet, HashMap};

use automerge::{ActorId, Automerge, Change, ChangeHash, ReadDoc};
use serde_json::Value;

use crate::document::{self, Kind};
use crate::domain::FieldError;
use crate::ids::UserId;
use crate::policy;
use crate::protocol::{MAX_CHANGES_PER_PUSH, RejectCode, Verdict};
use crate::role::Role;
use crate::schema::{Reference, Required};

/// Who is writing.
#[derive(Debug, Clone, Copy)]
pub struct Writer {
    /// The authenticated user.
    pub user: UserId,
    /// Their role.
    pub role: Role,
}

/// The result of [`evaluate`].
#[derive(Debug)]
pub struct Evaluation {
    /// What to tell the device.
    pub verdict: Verdict,
    /// The document after the push and the server change; `None` when rejected or when the push
    /// brought nothing new.
    pub doc: Option<Automerge>,
    /// The device's changes that were new to the server, raw bytes in causal order.
    pub new_changes: Vec<Vec<u8>>,
    /// Hashes of those changes (audit).
    pub new_hashes: Vec<ChangeHash>,
    /// The server's own change (compensation, server fills), raw bytes.
    pub server_change: Option<Vec<u8>>,
    /// The record after everything, typed JSON.
    pub record: Option<Value>,
    /// Field paths the push changed.
    pub paths: Vec<String>,
}

impl Evaluation {
    fn rejected(code: RejectCode, reason: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Rejected {
                code,
                reason: reason.into(),
            },
            doc: None,
            new_changes: Vec::new(),
            new_hashes: Vec::new(),
            server_change: None,
            record: None,
            paths: Vec::new(),
        }
    }

    /// True when the push was rejected.
    pub fn is_rejected(&self) -> bool {
        matches!(self.verdict, Verdict::Rejected { .. })
    }
}

/// Rules a record must satisfy that depend on data outside the document (the custom field
/// definitions and the data dictionary). Checked with the domain invariants on every push: an
/// offending value is compensated like any invalid value.
pub trait RecordRules {
    /// Errors of `after` (typed JSON), given the record before the push (`None` when new). Each
    /// error names the field path to restore.
    fn check(&self, kind: Kind, before: Option<&Value>, after: &Value) -> Vec<FieldError>;
}

/// No rules beyond the record's own invariants.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRules;

impl RecordRules for NoRules {
    fn check(&self, _: Kind, _: Option<&Value>, _: &Value) -> Vec<FieldError> {
        Vec::new()
    }
}

/// Custom values against the definitions; a device may lack a required value it never had (it
/// may have written before the field existed) but may not remove one.
impl RecordRules for Reference {
    fn check(&self, kind: Kind, before: Option<&Value>, after: &Value) -> Vec<FieldError> {
        Reference::check(self, kind, before, after, Required::NotRemoved)
    }
}

/// Evaluates a push of `incoming` raw changes to a document of `kind` (`existing` is `None` for a
/// document the server has never seen), with the record's own invariants only.
pub fn evaluate(
    kind: Kind,
    existing: Option<&Automerge>,
    incoming: &[Vec<u8>],
    writer: Writer,
) -> Evaluation {
    evaluate_with(kind, existing, incoming, writer, &NoRules)
}

/// Evaluates a push like [`evaluate`], also checking `rules`.
pub fn evaluate_with(
    kind: Kind,
    existing: Option<&Automerge>,
    incoming: &[Vec<u8>],
    writer: Writer,
    rules: &dyn RecordRules,
) -> Evaluation {
    if incoming.len() > MAX_CHANGES_PER_PUSH {
        return Evaluation::rejected(
            RejectCode::TooLarge,
            format!("more than {MAX_CHANGES_PER_PUSH} changes in one push"),
        );
    }
    let author = document::author_for(writer.user);
    let mut changes = Vec::with_capacity(incoming.len());
    for (i, bytes) in incoming.iter().enumerate() {
        match Change::from_bytes(bytes.clone()) {
            Ok(c) => changes.push(c),
            Err(e) => {
                return Evaluation::rejected(
                    RejectCode::Malformed,
                    format!("change {i} does not decode: {e}"),
                );
            }
        }
    }
    let mut doc = existing.map_or_else(Automerge::new, Automerge::fork);
    // Changes the server already has were judged when they arrived (a device re-pushing a whole
    // history carries other people's changes); only new ones must be the writer's.
    let (fresh, known): (Vec<Change>, Vec<Change>) = changes
        .into_iter()
        .partition(|c| doc.get_change_by_hash(&c.hash()).is_none());
    if let Err(reason) = check_authors(existing, &fresh, &known, &author) {
        return Evaluation::rejected(RejectCode::ForgedAuthor, reason);
    }
    if fresh.is_empty() {
        return Evaluation {
            verdict: Verdict::Accepted,
            doc: None,
            new_changes: Vec::new(),
            new_hashes: Vec::new(),
            server_change: None,
            record: None,
            paths: Vec::new(),
        };
    }
    if existing.is_none() && !fresh.iter().any(|c| c.deps().is_empty()) {
        return Evaluation::rejected(
            RejectCode::MissingDeps,
            "a new document must be pushed with its whole history",
        );
    }
    let new_hashes: Vec<ChangeHash> = fresh.iter().map(Change::hash).collect();
    if let Err(e) = doc.apply_changes(fresh) {
        return Evaluation::rejected(RejectCode::Malformed, format!("changes do not apply: {e}"));
    }
    if !doc.get_missing_deps(&[]).is_empty() {
        return Evaluation::rejected(
            RejectCode::MissingDeps,
            "changes depend on changes the server does not have",
        );
    }
    // The changes as the document orders them (causal order), for storage.
    let new_changes: Vec<Vec<u8>> = new_hashes
        .iter()
        .filter_map(|h| doc.get_change_by_hash(h))
        .map(|c| c.raw_bytes().to_vec())
        .collect();

    // A new document is compared with the empty record: writing a field's default is no write.
    let before_raw = existing.map_or_else(|| document::default_json(kind), document::raw_json);
    let after_raw = document::raw_json(&doc);
    let paths = document::changed_paths(&before_raw, &after_raw);
    let before_typed = match existing {
        Some(e) => document::typed_json(kind, e).unwrap_or_else(|_| document::default_json(kind)),
        None => document::default_json(kind),
    };
    let creation_fields = document::creation_fields(kind);
    let is_new = existing.is_none();

    let mut restored: BTreeSet<String> = BTreeSet::new();
    let mut reasons: Vec<String> = Vec::new();
    for p in &paths {
        let top = p.split('.').next().unwrap_or(p);
        let allowed =
            policy::may_write(writer.role, kind, p) || (is_new && creation_fields.contains(&top));
        if !allowed {
            restored.insert(p.clone());
            reasons.push(format!(
                "{p}: the {} role may not write this field",
                writer.role
            ));
        }
    }

    let mut target = match document::typed_json(kind, &doc) {
        Ok(v) => v,
        Err(e) if is_new => return Evaluation::rejected(RejectCode::Invalid, e.to_string()),
        Err(e) => {
            // The shape is broken: restore everything the push touched.
            reasons.push(format!("document no longer has the shape of a {kind}: {e}"));
            restored.extend(paths.iter().cloned());
            before_typed.clone()
        }
    };
    for p in &restored {
        document::set_path(
            &mut target,
            p,
            document::get_path(&before_typed, p).cloned(),
        );
    }
    // The workflow, judged step by step: a device offline for hours pushes every step it took
    // (accept, en route, on site, completed) at once, and each must be a step its role may take
    // from the state before it. A step that is not allowed keeps the last allowed value.
    if document::has_workflow(kind) {
        let (corrected, denied) =
            replay_workflow(kind, existing, &before_typed, &new_changes, writer.role);
        for e in denied {
            reasons.push(format!("{}: {}", e.field, e.message));
            document::set_path(
                &mut target,
                &e.field,
                document::get_path(&corrected, &e.field).cloned(),
            );
            restored.insert(e.field);
        }
    }
    let before_rec = (!is_new).then_some(&before_typed);
    // Invariants and rules: restore the previous value of each offending path, first exactly the
    // path named (`custom.vip`, `address.geo`), then, if that was not enough, its whole top-level
    // field. The previous state itself is valid unless the rules changed.
    let problems = |target: &Value| -> Result<Vec<FieldError>, document::DocError> {
        let mut errors = document::validate_json(kind, target)?;
        errors.extend(rules.check(kind, before_rec, target));
        Ok(errors)
    };
    for attempt in 0..2 {
        let errors = match problems(&target) {
            Ok(e) => e,
            Err(e) => return Evaluation::rejected(RejectCode::Invalid, e.to_string()),
        };
        if errors.is_empty() {
            break;
        }
        for e in errors {
            let path = if attempt == 0 {
                e.field.clone()
            } else {
                e.field.split('.').next().unwrap_or(&e.field).to_owned()
            };
            reasons.push(format!("{}: {}", e.field, e.message));
            document::set_path(
                &mut target,
                &path,
                document::get_path(&before_typed, &path).cloned(),
            );
            restored.insert(path);
        }
    }
    match problems(&target) {
        Ok(e) if e.is_empty() => {}
        Ok(e) => {
            let why: Vec<String> = e.iter().map(ToString::to_string).collect();
            return Evaluation::rejected(RejectCode::Invalid, why.join("; "));
        }
        Err(e) => return Evaluation::rejected(RejectCode::Invalid, e.to_string()),
    }
    if is_new {
        target = match document::fill_on_create_json(kind, &target, writer.user) {
            Ok(v) => v,
            Err(e) => return Evaluation::rejected(RejectCode::Invalid, e.to_string()),
        };
    }
    let message = if restored.is_empty() {
        "server: fill".to_owned()
    } else {
        format!(
            "server: restore {}",
            restored.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    };
    let server_change =
        match document::write_json(kind, &mut doc, &target, document::server_author(), &message) {
            Ok(c) => c,
            Err(e) => return Evaluation::rejected(RejectCode::Invalid, e.to_string()),
        };
    let verdict = if restored.is_empty() {
        Verdict::Accepted
    } else {
        Verdict::Compensated {
            paths: restored.into_iter().collect(),
            reasons,
        }
    };
    Evaluation {
        verdict,
        doc: Some(doc),
        new_changes,
        new_hashes,
        server_change,
        record: Some(target),
        paths: paths.into_iter().collect(),
    }
}

/// Replays `changes` (causal order) on the stored document one by one and checks each step with
/// the kind's workflow rules against the state before it, as corrected so far. Returns the
/// corrected final state (typed JSON) and the denied steps (each naming its field path, once).
fn replay_workflow(
    kind: Kind,
    existing: Option<&Automerge>,
    before: &Value,
    changes: &[Vec<u8>],
    role: Role,
) -> (Value, Vec<FieldError>) {
    let mut replay = existing.map_or_else(Automerge::new, Automerge::fork);
    let mut raw_prev = before.clone();
    let mut corrected = before.clone();
    let mut is_new = existing.is_none();
    let mut denied: Vec<FieldError> = Vec::new();
    for bytes in changes {
        let Ok(change) = Change::from_bytes(bytes.clone()) else {
            continue;
        };
        if replay.apply_changes([change]).is_err() {
            continue;
        }
        let Ok(current) = document::typed_json(kind, &replay) else {
            continue; // an intermediate state that is not a record yet
        };
        // Paths corrected earlier keep their corrected value unless this step writes them again.
        let mut candidate = current.clone();
        for e in &denied {
            if document::get_path(&raw_prev, &e.field) == document::get_path(&current, &e.field) {
                document::set_path(
                    &mut candidate,
                    &e.field,
                    document::get_path(&corrected, &e.field).cloned(),
                );
            }
        }
        let prev = (!is_new).then_some(&corrected);
        if let Ok(errors) = document::authorize_json(kind, prev, &candidate, role) {
            for e in errors {
                document::set_path(
                    &mut candidate,
                    &e.field,
                    document::get_path(&corrected, &e.field).cloned(),
                );
                if !denied.iter().any(|d| d.field == e.field) {
                    denied.push(e);
                }
            }
        }
        corrected = candidate;
        raw_prev = current;
        is_new = false;
    }
    (corrected, denied)
}

/// Checks that every change is the writer's. Automerge 0.12 tags the first change of each actor
/// with its author; later changes of that actor inherit it. So an actor's author comes from its
/// tagged change — in this push or already stored — and an actor that is nobody's is refused.
fn check_authors(
    existing: Option<&Automerge>,
    changes: &[Change],
    known: &[Change],
    author: &automerge::Author<'_>,
) -> Result<(), String> {
    let mut tagged: HashMap<&ActorId, automerge::Author<'_>> = HashMap::new();
    for c in known {
        if let Some(a) = c.author() {
            tagged.insert(c.actor_id(), a);
        }
    }
    for c in changes {
        if let Some(a) = c.author() {
            if let Some(previous) = tagged.insert(c.actor_id(), a.clone())
                && previous != a
            {
                return Err(format!("actor {} is tagged with two authors", c.actor_id()));
            }
            if let Some(stored) = existing.and_then(|d| d.get_author_for_actor(c.actor_id()))
                && stored != a
            {
                return Err(format!(
                    "actor {} already belongs to another author",
                    c.actor_id()
                ));
            }
        }
    }
    for c in changes {
        let actual = tagged.get(c.actor_id()).cloned().or_else(|| {
            existing
                .and_then(|d| d.get_author_for_actor(c.actor_id()))
                .map(automerge::Author::into_owned)
        });
        match actual {
            Some(a) if &a == author => {}
            Some(a) => {
                return Err(format!(
                    "change {} is authored by {a}, not by the signed-in user",
                    c.hash()
                ));
            }
            None => return Err(format!("change {} carries no author", c.hash())),
        }
    }
    Ok(())
}

/// A change the server makes on its own (back office edit, territory move): writes `record` (typed
/// JSON) into `doc` and returns the change, if anything changed.
pub fn server_write(
    kind: Kind,
    doc: &mut Automerge,
    record: &Value,
    message: &str,
) -> Result<Option<Vec<u8>>, document::DocError> {
    document::write_json(kind, doc, record, document::server_author(), message)
}
