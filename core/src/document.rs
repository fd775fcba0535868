//! The kind-generic document machinery.
//!
//! One Automerge document per record. Everything the sync code does with a document goes through
//! [`Kind`] and the functions here, so adding a kind (dispatch, order, lead, …) means adding a
//! record type and one line to [`dispatch_kind!`], never touching the sync code.
//!
//! Documents are compared as JSON: the *raw* JSON of the Automerge document (whatever a client
//! wrote, including keys no record type knows) and the *typed* JSON of the hydrated record. The
//! write policy and the domain invariants are checked on dotted field paths of that JSON.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use automerge::{Author, Automerge, ObjId, ObjType, ReadDoc, transaction::Transactable};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::domain::{Customer, Dispatch, FieldError, Order, Visit};
use crate::ids::{CustomerId, TerritoryId, UserId};
use crate::role::Role;

/// The kinds of synced documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// [`Customer`].
    Customer,
    /// [`Visit`].
    Visit,
    /// [`Order`].
    Order,
    /// [`Dispatch`].
    Dispatch,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 4] = [Kind::Customer, Kind::Visit, Kind::Order, Kind::Dispatch];

    /// Stable lowercase name (SQL, wire, CLI).
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Customer => "customer",
            Kind::Visit => "visit",
            Kind::Order => "order",
            Kind::Dispatch => "dispatch",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for an unknown kind name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown document kind {0:?}")]
pub struct UnknownKind(pub String);

impl FromStr for Kind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| UnknownKind(s.chars().take(32).collect()))
    }
}

/// Runs `$body` with `$t` bound to the record type of `$kind`. The single registry of kinds.
#[macro_export]
macro_rules! dispatch_kind {
    ($kind:expr, $t:ident => $body:expr) => {
        match $kind {
            $crate::document::Kind::Customer => {
                type $t = $crate::domain::Customer;
                $body
            }
            $crate::document::Kind::Visit => {
                type $t = $crate::domain::Visit;
                $body
            }
            $crate::document::Kind::Order => {
                type $t = $crate::domain::Order;
                $body
            }
            $crate::document::Kind::Dispatch => {
                type $t = $crate::domain::Dispatch;
                $body
            }
        }
    };
}

/// What decides who may see a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// Visible to whoever's scope contains this territory.
    Territory(Option<TerritoryId>),
    /// Follows the scope of a customer (a visit, an order).
    Customer(Option<CustomerId>),
    /// Visible to the user it is assigned to (a dispatch's engineer), whatever their territories;
    /// besides them only to users whose scope is everything.
    Assignee(Option<UserId>),
}

/// A record type kept as a document.
pub trait Record:
    autosurgeon::Hydrate
    + autosurgeon::Reconcile
    + Serialize
    + DeserializeOwned
    + Default
    + Clone
    + PartialEq
    + Send
    + Sync
    + 'static
{
    /// Its kind.
    const KIND: Kind;
    /// Fields a device may set when it creates the document, though only the server changes them
    /// afterwards (the creation is checked against the creator's scope instead).
    const CREATION_FIELDS: &'static [&'static str];
    /// Domain invariants; each error names its field path.
    fn validate(&self) -> Vec<FieldError>;
    /// What decides its visibility.
    fn anchor(&self) -> Anchor;
    /// Server-owned values the server fills in when it first accepts the document.
    fn fill_on_create(&mut self, creator: UserId);
    /// Whether [`Record::authorize`] has rules (pushes are then judged change by change).
    const WORKFLOW: bool = false;
    /// The state-dependent rules for `role` changing `before` into `self` (a workflow step the
    /// role may not take, a field locked in the current status): each error names the field path
    /// to restore. `before` is `None` for a new document.
    fn authorize(&self, before: Option<&Self>, role: Role) -> Vec<FieldError> {
        let _ = (before, role);
        Vec::new()
    }
}

impl Record for Customer {
    const KIND: Kind = Kind::Customer;
    const CREATION_FIELDS: &'static [&'static str] = &["territory"];
    fn validate(&self) -> Vec<FieldError> {
        Customer::validate(self)
    }
    fn anchor(&self) -> Anchor {
        Anchor::Territory(self.territory)
    }
    fn fill_on_create(&mut self, creator: UserId) {
        self.owner = Some(creator);
    }
}

impl Record for Visit {
    const KIND: Kind = Kind::Visit;
    const CREATION_FIELDS: &'static [&'static str] = &["customer"];
    fn validate(&self) -> Vec<FieldError> {
        Visit::validate(self)
    }
    fn anchor(&self) -> Anchor {
        Anchor::Customer(self.customer)
    }
    fn fill_on_create(&mut self, creator: UserId) {
        self.rep = Some(creator);
    }
}

impl Record for Order {
    const KIND: Kind = Kind::Order;
    const WORKFLOW: bool = true;
    const CREATION_FIELDS: &'static [&'static str] = &["customer"];
    fn validate(&self) -> Vec<FieldError> {
        Order::validate(self)
    }
    fn anchor(&self) -> Anchor {
        Anchor::Customer(self.customer)
    }
    fn fill_on_create(&mut self, creator: UserId) {
        self.rep = Some(creator);
    }
    fn authorize(&self, before: Option<&Self>, role: Role) -> Vec<FieldError> {
        Order::authorize(self, before, role)
    }
}

impl Record for Dispatch {
    const KIND: Kind = Kind::Dispatch;
    const WORKFLOW: bool = true;
    const CREATION_FIELDS: &'static [&'static str] = &[];
    fn validate(&self) -> Vec<FieldError> {
        Dispatch::validate(self)
    }
    fn anchor(&self) -> Anchor {
        Anchor::Assignee(self.engineer)
    }
    fn fill_on_create(&mut self, _creator: UserId) {}
    fn authorize(&self, before: Option<&Self>, role: Role) -> Vec<FieldError> {
        Dispatch::authorize(self, before, role)
    }
}

/// Errors of the document machinery.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The bytes are not an Automerge document or change.
    #[error("malformed document data: {0}")]
    Malformed(String),
    /// The document does not have the shape of its kind.
    #[error("document does not match kind {kind}: {message}")]
    Shape {
        /// The kind.
        kind: Kind,
        /// What did not fit.
        message: String,
    },
    /// Writing into the document failed.
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// Writing a record into the document failed.
    #[error("reconcile: {0}")]
    Reconcile(#[from] autosurgeon::ReconcileError),
}

/// The author tag of a user's changes (the 16 bytes of the user id).
pub fn author_for(user: UserId) -> Author<'static> {
    Author::from(user.as_bytes().to_vec())
}

/// The author tag of changes the server makes itself.
pub fn server_author() -> Author<'static> {
    Author::from(b"fieldcrm-server".to_vec())
}

/// The raw JSON of a document: everything in it, known to the record type or not.
pub fn raw_json<D: ReadDoc>(doc: &D) -> Value {
    serde_json::to_value(automerge::AutoSerde::from(doc)).unwrap_or(Value::Null)
}

/// Hydrates a typed record from a document.
pub fn hydrate<R: Record, D: autosurgeon::ReadDoc>(doc: &D) -> Result<R, DocError> {
    autosurgeon::hydrate(doc).map_err(|e| DocError::Shape {
        kind: R::KIND,
        message: e.to_string(),
    })
}

/// The typed JSON of a document of `kind` (the record, serialized).
pub fn typed_json<D: autosurgeon::ReadDoc>(kind: Kind, doc: &D) -> Result<Value, DocError> {
    dispatch_kind!(kind, T => {
        let rec: T = hydrate(doc)?;
        serde_json::to_value(&rec).map_err(|e| DocError::Shape { kind, message: e.to_string() })
    })
}

/// The typed JSON of the default (empty) record of `kind`.
pub fn default_json(kind: Kind) -> Value {
    dispatch_kind!(kind, T => serde_json::to_value(T::default()).unwrap_or(Value::Null))
}

/// Parses typed JSON into the record of `kind`, then validates it.
pub fn validate_json(kind: Kind, value: &Value) -> Result<Vec<FieldError>, DocError> {
    dispatch_kind!(kind, T => {
        let rec: T = from_json(kind, value)?;
        Ok(rec.validate())
    })
}

/// The scope anchor of a record given as typed JSON.
pub fn anchor_json(kind: Kind, value: &Value) -> Result<Anchor, DocError> {
    dispatch_kind!(kind, T => {
        let rec: T = from_json(kind, value)?;
        Ok(rec.anchor())
    })
}

/// The workflow rules of `kind` for `role` changing `before` (typed JSON, `None` when new) into
/// `after`: the field paths to restore (see [`Record::authorize`]).
pub fn authorize_json(
    kind: Kind,
    before: Option<&Value>,
    after: &Value,
    role: Role,
) -> Result<Vec<FieldError>, DocError> {
    dispatch_kind!(kind, T => {
        let after: T = from_json(kind, after)?;
        let before: Option<T> = before.map(|b| from_json(kind, b)).transpose()?;
        Ok(after.authorize(before.as_ref(), role))
    })
}

/// Whether `kind` has workflow rules (see [`Record::WORKFLOW`]).
pub fn has_workflow(kind: Kind) -> bool {
    dispatch_kind!(kind, T => T::WORKFLOW)
}

/// The creation fields of `kind`.
pub fn creation_fields(kind: Kind) -> &'static [&'static str] {
    dispatch_kind!(kind, T => T::CREATION_FIELDS)
}

fn from_json<R: DeserializeOwned>(kind: Kind, value: &Value) -> Result<R, DocError> {
    R::deserialize(value).map_err(|e| DocError::Shape {
        kind,
        message: e.to_string(),
    })
}

/// Applies server fills for a new document to typed JSON.
pub fn fill_on_create_json(kind: Kind, value: &Value, creator: UserId) -> Result<Value, DocError> {
    dispatch_kind!(kind, T => {
        let mut rec: T = from_json(kind, value)?;
        rec.fill_on_create(creator);
        serde_json::to_value(&rec).map_err(|e| DocError::Shape { kind, message: e.to_string() })
    })
}

/// Writes typed JSON into the document of `kind` as one change by `author`, then removes any key
/// the record type does not know. Returns the change made, if any (raw bytes).
pub fn write_json(
    kind: Kind,
    doc: &mut Automerge,
    value: &Value,
    author: Author<'static>,
    message: &str,
) -> Result<Option<Vec<u8>>, DocError> {
    let previous_author = doc.get_author().cloned();
    doc.set_author(Some(author));
    let result = dispatch_kind!(kind, T => {
        let rec: T = from_json(kind, value)?;
        let typed = serde_json::to_value(&rec).map_err(|e| DocError::Shape { kind, message: e.to_string() })?;
        let mut tx = doc.transaction();
        autosurgeon::reconcile(&mut tx, &rec)?;
        let raw = raw_json(&tx);
        prune_unknown(&mut tx, &automerge::ROOT, &raw, &typed)?;
        if tx.pending_ops() == 0 {
            tx.rollback();
            Ok(None)
        } else {
            let hash = tx.commit_with(automerge::transaction::CommitOptions::default().with_message(message.to_owned()));
            Ok(hash.0.and_then(|h| doc.get_change_by_hash(&h)).map(|c| c.raw_bytes().to_vec()))
        }
    });
    doc.set_author(previous_author);
    result
}

/// Deletes keys present in `raw` but absent from `typed`, recursing into maps both have.
fn prune_unknown<T: Transactable>(
    tx: &mut T,
    obj: &ObjId,
    raw: &Value,
    typed: &Value,
) -> Result<(), DocError> {
    let (Value::Object(raw), Value::Object(typed)) = (raw, typed) else {
        return Ok(());
    };
    for (key, raw_value) in raw {
        match typed.get(key) {
            None => tx.delete(obj, key.as_str())?,
            Some(typed_value @ Value::Object(_)) if raw_value.is_object() => {
                if let Some((automerge::Value::Object(ObjType::Map), child)) =
                    tx.get(obj, key.as_str())?
                {
                    prune_unknown(tx, &child, raw_value, typed_value)?;
                }
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Dotted paths whose values differ between two JSON values. Objects are compared key by key;
/// anything else (scalars, lists) as a whole.
pub fn changed_paths(before: &Value, after: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    diff_into(&mut out, String::new(), before, after);
    out
}

fn diff_into(out: &mut BTreeSet<String>, prefix: String, before: &Value, after: &Value) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
            for k in keys {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                match (b.get(k), a.get(k)) {
                    (Some(x), Some(y)) => diff_into(out, path, x, y),
                    (None, Some(Value::Object(y))) => diff_into(
                        out,
                        path,
                        &Value::Object(Default::default()),
                        &Value::Object(y.clone()),
                    ),
                    (Some(Value::Object(x)), None) => diff_into(
                        out,
                        path,
                        &Value::Object(x.clone()),
                        &Value::Object(Default::default()),
                    ),
                    (Some(Value::Null), None) | (None, Some(Value::Null)) => {}
                    _ => {
                        out.insert(path);
                    }
                }
            }
        }
        (b, a) if b == a => {}
        _ => {
            out.insert(if prefix.is_empty() {
                "$".to_owned()
            } else {
                prefix
            });
        }
    }
}

/// Reads the value at a dotted path.
pub fn get_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, seg| v.get(seg))
}

/// Sets (or, with `None`, removes) the value at a dotted path, creating objects on the way.
pub fn set_path(value: &mut Value, path: &str, new: Option<Value>) {
    let mut segs: Vec<&str> = path.split('.').collect();
    let Some(last) = segs.pop() else { return };
    let mut cur = value;
    for seg in segs {
        if !cur.is_object() {
            *cur = Value::Object(Default::default());
        }
        let Value::Object(map) = cur else { return };
        cur = map
            .entry(seg.to_owned())
            .or_insert_with(|| Value::Object(Default::default()));
    }
    if let Value::Object(map) = cur {
        match new {
            Some(v) => {
                map.insert(last.to_owned(), v);
            }
            None => {
                map.remove(last);
            }
        }
    }
}

/// Creates a new document of `kind` holding `record`, authored by `author`.
pub fn new_document<R: Record>(record: &R, author: Author<'static>) -> Result<Automerge, DocError> {
    let mut doc = Automerge::new();
    let value = serde_json::to_value(record).map_err(|e| DocError::Shape {
        kind: R::KIND,
        message: e.to_string(),
    })?;
    write_json(R::KIND, &mut doc, &value, author.clone(), "create")?;
    doc.set_author(Some(author));
    Ok(doc)
}

/// Loads a document from bytes (a save, or concatenated changes).
pub fn load(bytes: &[u8]) -> Result<Automerge, DocError> {
    Automerge::load(bytes).map_err(|e| DocError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Customer;
    use serde_json::json;

    #[test]
    fn kinds_parse() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), k);
        }
        assert!("invoice".parse::<Kind>().is_err());
    }

    #[test]
    fn paths_of_a_diff() {
        let b = json!({"name": "A", "address": {"city": "上海", "zip": "200000"}, "tags": ["x"]});
        let a = json!({"name": "B", "address": {"city": "上海", "zip": "200001"}, "tags": ["x", "y"], "evil": 1});
        let p: Vec<String> = changed_paths(&b, &a).into_iter().collect();
        assert_eq!(p, vec!["address.zip", "evil", "name", "tags"]);
    }

    #[test]
    fn typed_round_trip_and_pruning() {
        let user = UserId::new();
        let c = Customer {
            name: "Acme 上海".into(),
            ..Default::default()
        };
        let mut doc = new_document(&c, author_for(user)).unwrap();
        let back: Customer = hydrate(&doc).unwrap();
        assert_eq!(back, c);
        // A stray key written by someone is removed by write_json.
        {
            let mut tx = doc.transaction();
            tx.put(automerge::ROOT, "evil", "x").unwrap();
            tx.commit();
        }
        assert!(raw_json(&doc).get("evil").is_some());
        let typed = typed_json(Kind::Customer, &doc).unwrap();
        assert!(
            write_json(Kind::Customer, &mut doc, &typed, server_author(), "prune")
                .unwrap()
                .is_some()
        );
        assert!(raw_json(&doc).get("evil").is_none());
        // Nothing to do: no change.
        assert!(
            write_json(Kind::Customer, &mut doc, &typed, server_author(), "noop")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn set_and_get_paths() {
        let mut v = json!({"a": {"b": 1}});
        set_path(&mut v, "a.c", Some(json!(2)));
        set_path(&mut v, "x.y", Some(json!(3)));
        set_path(&mut v, "a.b", None);
        assert_eq!(v, json!({"a": {"c": 2}, "x": {"y": 3}}));
        assert_eq!(get_path(&v, "x.y"), Some(&json!(3)));
    }
}
