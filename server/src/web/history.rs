//! A document's history, read from the document itself: every change with who made it (the
//! author tag of its actor; for the server's own changes, the back-office user from the audit
//! log or the document's creator), which device (from the sync audit entries naming the change
//! hash), when, and which fields went from what to what (the typed record hydrated before and
//! after the change). [`views`] formats it for a card (labels, names, the user's language).

use std::collections::{BTreeMap, HashMap, VecDeque};

use automerge::Automerge;
use fieldcrm_core::document::{self, Kind};
use fieldcrm_core::schema::Reference;
use fieldcrm_core::{DeviceId, DocId, UserId};
use serde_json::Value;

use super::i18n::{Lang, Tr};
use super::{WebError, fmt_ms};
use crate::db::audit::{self, AuditFilter};
use crate::db::{Db, customers_query, devices, documents, territories, users};
use crate::sync::write;

/// The most changes shown (newest first).
pub const MAX_ENTRIES: usize = 200;

/// Who made a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Who {
    /// A user (by their author tag, or the audit log for back-office edits).
    User(UserId),
    /// The server itself, with no user known.
    Server,
}

/// Where a change came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// A synced device.
    Device(DeviceId),
    /// The back office (or another server-side path).
    Server,
    /// Not recorded.
    Unknown,
}

/// One field changed by a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// Dotted path (`name`, `address.city`, …).
    pub path: String,
    /// The value before, for display.
    pub old: String,
    /// The value after, for display.
    pub new: String,
}

/// One change of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// When (the change's timestamp, unix ms).
    pub at: i64,
    /// Who.
    pub who: Who,
    /// Via what.
    pub via: Via,
    /// The change's message (`create`, `web.customer.update`, …), if any.
    pub message: String,
    /// Whether this is the document's first change.
    pub created: bool,
    /// The fields it changed.
    pub fields: Vec<FieldChange>,
}

/// Renders a JSON value for the history table.
pub fn display(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                Value::Object(o) => o
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_owned),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

/// The history of document `id`, newest first.
pub async fn load(db: &Db, id: DocId) -> Result<Vec<Entry>, WebError> {
    let mut w = documents::begin_read(db).await?;
    let stored = documents::load_for_write(&mut w, id).await?;
    w.rollback().await?;
    let stored = stored.ok_or(WebError::NotFound)?;
    let kind = stored.kind;
    let doc = Automerge::load(&stored.data).map_err(|e| WebError::Internal(e.to_string()))?;

    // The audit log: back-office edits (action = change message, in order) and device pushes
    // (change hashes → device).
    let records = audit::list(
        db,
        &AuditFilter {
            doc_id: Some(id.to_string()),
            limit: 10_000,
            ..AuditFilter::default()
        },
    )
    .await?;
    // Changes the server writes carry no timestamp: their time comes from the audit log (or the
    // document's creation time).
    let mut by_hash: HashMap<String, (DeviceId, i64)> = HashMap::new();
    let mut office: BTreeMap<String, VecDeque<(Option<UserId>, i64)>> = BTreeMap::new();
    for r in records.iter().rev() {
        if r.entry.action == "sync.push" {
            if let (Some(device), Some(hashes)) =
                (r.entry.device_id, r.entry.detail["changes"].as_array())
            {
                for h in hashes.iter().filter_map(Value::as_str) {
                    by_hash.insert(h.to_owned(), (device, r.at));
                }
            }
        } else if r.entry.action.starts_with("web.") || r.entry.action.starts_with("customer.") {
            office
                .entry(r.entry.action.clone())
                .or_default()
                .push_back((r.entry.user_id, r.at));
        }
    }
    let (creator, created_at) = customers_query::creation(db, id)
        .await?
        .unwrap_or((None, 0));
    let server = document::server_author();

    let changes = doc.get_changes(&[]);
    let mut entries = Vec::with_capacity(changes.len().min(MAX_ENTRIES));
    let skip = changes.len().saturating_sub(MAX_ENTRIES);
    for (i, change) in changes.iter().enumerate() {
        let message = change.message().unwrap_or_default().to_owned();
        let author = doc
            .get_author_for_actor(change.actor_id())
            .map(|a| a.as_bytes().to_vec());
        let is_server = author.as_deref() == Some(server.as_bytes());
        // Consume office audit entries in order even for skipped changes.
        let office_entry = if is_server {
            office.get_mut(&message).and_then(VecDeque::pop_front)
        } else {
            None
        };
        if i < skip {
            continue;
        }
        let who = match &author {
            Some(bytes) if !is_server => <[u8; 16]>::try_from(bytes.as_slice())
                .map(|b| Who::User(UserId::from_uuid(uuid::Uuid::from_bytes(b))))
                .unwrap_or(Who::Server),
            _ => match (office_entry.and_then(|(u, _)| u), i == 0, creator) {
                (Some(u), _, _) => Who::User(u),
                (None, true, Some(c)) => Who::User(c),
                _ => Who::Server,
            },
        };
        let hash = change.hash();
        let pushed = by_hash.get(&hash.to_string()).copied();
        let via = match (is_server, pushed) {
            (true, _) => Via::Server,
            (false, Some((d, _))) => Via::Device(d),
            (false, None) => Via::Unknown,
        };
        let at = match (change.timestamp(), office_entry, pushed) {
            (t, _, _) if t > 0 => t,
            (_, Some((_, at)), _) | (_, None, Some((_, at))) => at,
            _ if i == 0 => created_at,
            _ => 0,
        };
        let before = typed_at(kind, &doc, change.deps())?;
        let after = typed_at(kind, &doc, &[hash])?;
        let fields = document::changed_paths(&before, &after)
            .into_iter()
            .map(|path| FieldChange {
                old: display(document::get_path(&before, &path)),
                new: display(document::get_path(&after, &path)),
                path,
            })
            .collect();
        entries.push(Entry {
            at,
            who,
            via,
            message,
            created: i == 0,
            fields,
        });
    }
    entries.reverse();
    Ok(entries)
}

fn typed_at(
    kind: Kind,
    doc: &Automerge,
    heads: &[automerge::ChangeHash],
) -> Result<Value, WebError> {
    if heads.is_empty() {
        return Ok(document::default_json(kind));
    }
    let fork = doc
        .fork_at(heads)
        .map_err(|e| WebError::Internal(e.to_string()))?;
    document::typed_json(kind, &fork).map_err(|e| WebError::Internal(e.to_string()))
}

/// Display names of the users and devices an entry list mentions.
pub async fn names(
    db: &Db,
    entries: &[Entry],
) -> Result<(HashMap<UserId, String>, HashMap<DeviceId, String>), WebError> {
    let mut user_names = HashMap::new();
    let mut device_names = HashMap::new();
    for e in entries {
        if let Who::User(u) = e.who
            && !user_names.contains_key(&u)
        {
            let name = users::get(db, u)
                .await?
                .map_or_else(|| u.to_string(), |u| u.display_name);
            user_names.insert(u, name);
        }
        if let Via::Device(d) = e.via
            && !device_names.contains_key(&d)
        {
            let name = devices::get(db, d)
                .await?
                .map_or_else(|| d.to_string(), |d| d.name);
            device_names.insert(d, name);
        }
    }
    Ok((user_names, device_names))
}

/// A field change, labelled.
#[derive(Debug)]
pub struct ChangeView {
    /// The field's label.
    pub field: String,
    /// The value before, for display.
    pub old: String,
    /// The value after, for display.
    pub new: String,
}

/// A history entry, formatted for a card.
#[derive(Debug)]
pub struct HistoryView {
    /// When.
    pub when: String,
    /// Who (a display name, or "the server").
    pub who: String,
    /// Via what (a device's name, the back office).
    pub via: String,
    /// Whether this is the document's creation.
    pub created: bool,
    /// The fields it changed.
    pub changes: Vec<ChangeView>,
}

/// Values longer than this many characters are shortened on a card.
const MAX_VALUE_CHARS: usize = 120;

/// `s`, shortened to [`MAX_VALUE_CHARS`] characters (with an ellipsis).
fn shorten(s: String) -> String {
    if s.chars().count() > MAX_VALUE_CHARS {
        let mut t: String = s.chars().take(MAX_VALUE_CHARS).collect();
        t.push('…');
        t
    } else {
        s
    }
}

/// Paths whose values are collections shown by their own section of the card (an order's
/// lines): the history names the field, without old and new values.
fn summarised(kind: Kind, path: &str) -> bool {
    kind == Kind::Order && path == "lines"
}

/// A value of `kind`'s field `path` as the card shows it, for values that need no lookup: an
/// order's status by its label, its amounts (minor units) as money.
fn formatted(tr: Tr, kind: Kind, path: &str, v: String) -> String {
    if kind != Kind::Order || v.is_empty() {
        return v;
    }
    match path {
        "status" => tr.t(super::orders::status_key(&v)).to_owned(),
        "subtotal" | "discount_total" | "total" => {
            v.parse::<i64>().map_or(v, super::orders::fmt_money)
        }
        _ => v,
    }
}

/// The history of document `id` of `kind`, newest first, formatted in `tr`'s language: custom
/// fields by their labels, territories, users (owner, rep) and customers by their names, an
/// order's status and amounts as the order card shows them, its lines summarised, long values
/// shortened.
pub async fn views(
    db: &Db,
    tr: Tr,
    reference: &Reference,
    kind: Kind,
    id: DocId,
) -> Result<Vec<HistoryView>, WebError> {
    let english = tr.0 == Lang::En;
    let field_label = |path: &str| -> String {
        path.strip_prefix("custom.")
            .and_then(|k| reference.field(kind, k))
            .map_or_else(|| tr.field(path), |d| d.label(english).to_owned())
    };
    let entries = load(db, id).await?;
    let (mut user_names, device_names) = names(db, &entries).await?;
    let territory_names: HashMap<String, String> = territories::list(db)
        .await?
        .into_iter()
        .map(|t| (t.id.to_string(), t.name))
        .collect();
    // Users a change names as owner or rep (not only as author).
    for e in &entries {
        for f in e
            .fields
            .iter()
            .filter(|f| matches!(f.path.as_str(), "owner" | "rep"))
        {
            for v in [&f.old, &f.new] {
                if let Ok(u) = UserId::parse(v)
                    && !user_names.contains_key(&u)
                    && let Some(user) = users::get(db, u).await?
                {
                    user_names.insert(u, user.display_name);
                }
            }
        }
    }
    // Customers a change names (an order's or a visit's customer).
    let mut customer_names: HashMap<String, String> = HashMap::new();
    for e in &entries {
        for f in e.fields.iter().filter(|f| f.path == "customer") {
            for v in [&f.old, &f.new] {
                if customer_names.contains_key(v) {
                    continue;
                }
                let Ok(c) = DocId::parse(v) else { continue };
                match write::load_record(db, c).await {
                    Ok(record) => {
                        if let Some(name) = record["name"].as_str() {
                            customer_names.insert(v.clone(), name.to_owned());
                        }
                    }
                    Err(write::WriteError::NotFound(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    let name_of = |path: &str, v: String| -> String {
        match path {
            "customer" => customer_names.get(&v).cloned().unwrap_or(v),
            "territory" => territory_names.get(&v).cloned().unwrap_or(v),
            "owner" | "rep" => UserId::parse(&v)
                .ok()
                .and_then(|u| user_names.get(&u).cloned())
                .unwrap_or(v),
            _ => match path
                .strip_prefix("custom.")
                .and_then(|k| reference.field(kind, k))
                .and_then(|d| d.list.as_deref())
            {
                Some(list) => reference.label(list, &v, english).to_owned(),
                None => v,
            },
        }
    };
    Ok(entries
        .into_iter()
        .map(|e| HistoryView {
            when: fmt_ms(Some(e.at)),
            who: match e.who {
                Who::User(u) => user_names.get(&u).cloned().unwrap_or_default(),
                Who::Server => tr.t("hist.server").to_owned(),
            },
            via: match e.via {
                Via::Device(d) => format!(
                    "{} · {}",
                    tr.t("hist.device"),
                    device_names.get(&d).cloned().unwrap_or_default()
                ),
                Via::Server => tr.t("hist.back_office").to_owned(),
                Via::Unknown => String::new(),
            },
            created: e.created,
            changes: e
                .fields
                .into_iter()
                .map(|f| {
                    if summarised(kind, &f.path) {
                        ChangeView {
                            field: field_label(&f.path),
                            old: String::new(),
                            new: String::new(),
                        }
                    } else {
                        ChangeView {
                            field: field_label(&f.path),
                            old: shorten(formatted(tr, kind, &f.path, name_of(&f.path, f.old))),
                            new: shorten(formatted(tr, kind, &f.path, name_of(&f.path, f.new))),
                        }
                    }
                })
                .collect(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::{display, shorten};
    use serde_json::json;

    #[test]
    fn long_values_are_shortened() {
        assert_eq!(shorten("短".repeat(120)), "短".repeat(120));
        assert_eq!(shorten("长".repeat(121)), format!("{}…", "长".repeat(120)));
    }

    #[test]
    fn values_display() {
        assert_eq!(display(None), "");
        assert_eq!(display(Some(&json!("x"))), "x");
        assert_eq!(display(Some(&json!(["a", "b"]))), "a, b");
        assert_eq!(display(Some(&json!([{"name": "张三"}]))), "张三");
        assert_eq!(display(Some(&json!(3))), "3");
    }
}
