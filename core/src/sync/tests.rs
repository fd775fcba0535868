//! Both sides of the protocol in memory: devices editing offline, a server evaluating pushes.

use std::collections::HashMap;

use automerge::{Automerge, ChangeHash};

use super::client::{apply_server_changes, apply_server_data, merge_synced, pending_changes};
use super::server::{Writer, evaluate};
use crate::document::{self, Kind, author_for};
use crate::domain::{Customer, Visit};
use crate::ids::{DocId, TerritoryId, UserId};
use crate::protocol::{RejectCode, Verdict};
use crate::role::Role;

/// A server holding documents in memory.
#[derive(Default)]
struct MemServer {
    docs: HashMap<DocId, (Kind, Automerge)>,
}

impl MemServer {
    fn push(
        &mut self,
        id: DocId,
        kind: Kind,
        changes: &[Vec<u8>],
        w: Writer,
    ) -> (Verdict, Vec<Vec<u8>>, Vec<ChangeHash>) {
        let existing = self.docs.get(&id).map(|(_, d)| d);
        let ev = evaluate(kind, existing, changes, w);
        let mut server_changes = Vec::new();
        if let Some(doc) = ev.doc {
            server_changes.extend(ev.server_change.clone());
            self.docs.insert(id, (kind, doc));
        }
        let heads = self
            .docs
            .get(&id)
            .map(|(_, d)| d.get_heads())
            .unwrap_or_default();
        (ev.verdict, server_changes, heads)
    }
    fn data(&self, id: DocId) -> Vec<u8> {
        self.docs[&id].1.save()
    }
}

/// A device replica of one document.
struct Replica {
    doc: Automerge,
    synced: Vec<ChangeHash>,
    user: UserId,
}

impl Replica {
    fn from_server(server: &MemServer, id: DocId, user: UserId) -> Self {
        let mut doc = Automerge::new();
        apply_server_data(&mut doc, &server.data(id)).unwrap();
        doc.set_author(Some(author_for(user)));
        let synced = doc.get_heads();
        Self { doc, synced, user }
    }
    fn edit(&mut self, f: impl FnOnce(&mut Customer)) {
        let mut c: Customer = document::hydrate(&self.doc).unwrap();
        f(&mut c);
        let v = serde_json::to_value(&c).unwrap();
        document::write_json(
            Kind::Customer,
            &mut self.doc,
            &v,
            author_for(self.user),
            "edit",
        )
        .unwrap();
    }
    fn sync(&mut self, server: &mut MemServer, id: DocId, role: Role) -> Verdict {
        let pending = pending_changes(&self.doc, &self.synced);
        let (verdict, server_changes, heads) = server.push(
            id,
            Kind::Customer,
            &pending,
            Writer {
                user: self.user,
                role,
            },
        );
        if !matches!(verdict, Verdict::Rejected { .. }) {
            apply_server_changes(&mut self.doc, &server_changes).unwrap();
            // Pull whatever else the server has.
            apply_server_data(&mut self.doc, &server.data(id)).unwrap();
            self.synced = merge_synced(&self.doc, &self.synced, &heads);
        }
        verdict
    }
    fn customer(&self) -> Customer {
        document::hydrate(&self.doc).unwrap()
    }
}

fn seeded(server: &mut MemServer, territory: TerritoryId, creator: UserId) -> DocId {
    let id = DocId::new();
    let c = Customer {
        name: "华联超市 Hualian".into(),
        territory: Some(territory),
        ..Default::default()
    };
    let doc = document::new_document(&c, author_for(creator)).unwrap();
    let changes = pending_changes(&doc, &[]);
    let (v, _, _) = server.push(
        id,
        Kind::Customer,
        &changes,
        Writer {
            user: creator,
            role: Role::Rep,
        },
    );
    assert_eq!(v, Verdict::Accepted);
    id
}

#[test]
fn creation_fills_owner_and_keeps_territory() {
    let mut server = MemServer::default();
    let rep = UserId::new();
    let t = TerritoryId::new();
    let id = seeded(&mut server, t, rep);
    let c: Customer = document::hydrate(&server.docs[&id].1).unwrap();
    assert_eq!(c.owner, Some(rep));
    assert_eq!(c.territory, Some(t));
}

#[test]
fn offline_edits_of_different_fields_both_survive_and_same_field_converges() {
    let mut server = MemServer::default();
    let rep = UserId::new();
    let id = seeded(&mut server, TerritoryId::new(), rep);
    let mut a = Replica::from_server(&server, id, rep);
    let mut b = Replica::from_server(&server, id, rep);
    a.edit(|c| c.email = "buyer@hualian.cn".into());
    b.edit(|c| c.tier = "A".into());
    a.edit(|c| c.notes = "from A".into());
    b.edit(|c| c.notes = "from B".into());
    assert_eq!(a.sync(&mut server, id, Role::Rep), Verdict::Accepted);
    assert_eq!(b.sync(&mut server, id, Role::Rep), Verdict::Accepted);
    assert_eq!(a.sync(&mut server, id, Role::Rep), Verdict::Accepted);
    let (ca, cb) = (a.customer(), b.customer());
    let server_c: Customer = document::hydrate(&server.docs[&id].1).unwrap();
    assert_eq!(ca, cb);
    assert_eq!(ca, server_c);
    assert_eq!(ca.email, "buyer@hualian.cn");
    assert_eq!(ca.tier, "A");
    assert!(ca.notes == "from A" || ca.notes == "from B");
    assert!(pending_changes(&a.doc, &a.synced).is_empty());
}

#[test]
fn forbidden_field_is_compensated_on_server_and_device() {
    let mut server = MemServer::default();
    let rep = UserId::new();
    let t = TerritoryId::new();
    let id = seeded(&mut server, t, rep);
    let mut a = Replica::from_server(&server, id, rep);
    a.edit(|c| {
        c.territory = Some(TerritoryId::new());
        c.owner = Some(UserId::new());
        c.name = "Renamed".into();
    });
    let v = a.sync(&mut server, id, Role::Rep);
    let Verdict::Compensated { paths, .. } = v else {
        panic!("{v:?}")
    };
    assert_eq!(paths, vec!["owner".to_owned(), "territory".to_owned()]);
    let c = a.customer();
    assert_eq!(
        (c.territory, c.owner, c.name.as_str()),
        (Some(t), Some(rep), "Renamed")
    );
    let s: Customer = document::hydrate(&server.docs[&id].1).unwrap();
    assert_eq!(s, c);
}

#[test]
fn invalid_values_are_restored() {
    let mut server = MemServer::default();
    let rep = UserId::new();
    let id = seeded(&mut server, TerritoryId::new(), rep);
    let mut a = Replica::from_server(&server, id, rep);
    a.edit(|c| {
        c.name = "   ".into();
        c.email = "not an email".into();
        c.tier = "B".into();
    });
    let Verdict::Compensated { paths, .. } = a.sync(&mut server, id, Role::Rep) else {
        panic!()
    };
    assert_eq!(paths, vec!["email".to_owned(), "name".to_owned()]);
    let c = a.customer();
    assert_eq!(
        (c.name.as_str(), c.email.as_str(), c.tier.as_str()),
        ("华联超市 Hualian", "", "B")
    );
}

#[test]
fn forged_author_and_garbage_are_rejected() {
    let mut server = MemServer::default();
    let rep = UserId::new();
    let id = seeded(&mut server, TerritoryId::new(), rep);
    let mut a = Replica::from_server(&server, id, rep);
    a.edit(|c| c.tier = "C".into());
    let pending = pending_changes(&a.doc, &a.synced);
    let someone_else = Writer {
        user: UserId::new(),
        role: Role::Rep,
    };
    let (v, _, _) = server.push(id, Kind::Customer, &pending, someone_else);
    assert!(
        matches!(
            v,
            Verdict::Rejected {
                code: RejectCode::ForgedAuthor,
                ..
            }
        ),
        "{v:?}"
    );
    let (v, _, _) = server.push(
        id,
        Kind::Customer,
        &[vec![1, 2, 3]],
        Writer {
            user: rep,
            role: Role::Rep,
        },
    );
    assert!(
        matches!(
            v,
            Verdict::Rejected {
                code: RejectCode::Malformed,
                ..
            }
        ),
        "{v:?}"
    );
    let s: Customer = document::hydrate(&server.docs[&id].1).unwrap();
    assert_eq!(s.tier, "", "nothing stored");
}

#[test]
fn unknown_keys_are_pruned_and_partners_cannot_write() {
    let mut server = MemServer::default();
    let rep = UserId::new();
    let id = seeded(&mut server, TerritoryId::new(), rep);
    let mut a = Replica::from_server(&server, id, rep);
    {
        use automerge::transaction::Transactable;
        let mut tx = a.doc.transaction();
        tx.put(automerge::ROOT, "evil", "<script>").unwrap();
        tx.commit();
    }
    let Verdict::Compensated { paths, .. } = a.sync(&mut server, id, Role::Rep) else {
        panic!()
    };
    assert_eq!(paths, vec!["evil".to_owned()]);
    assert!(
        document::raw_json(&server.docs[&id].1)
            .get("evil")
            .is_none()
    );
    assert!(document::raw_json(&a.doc).get("evil").is_none());
}

#[test]
fn new_document_without_history_needs_full_push_and_visit_fills_rep() {
    let mut server = MemServer::default();
    let rep = UserId::new();
    let cust = seeded(&mut server, TerritoryId::new(), rep);
    let v = Visit {
        customer: Some(cust.into()),
        purpose: "介绍 intro".into(),
        ..Default::default()
    };
    let mut doc = document::new_document(&v, author_for(rep)).unwrap();
    let first = pending_changes(&doc, &[]);
    let vid = DocId::new();
    // Second change only: the server cannot know the first.
    let mut edited: Visit = document::hydrate(&doc).unwrap();
    edited.outcome = "ordered".into();
    document::write_json(
        Kind::Visit,
        &mut doc,
        &serde_json::to_value(&edited).unwrap(),
        author_for(rep),
        "e",
    )
    .unwrap();
    let all = pending_changes(&doc, &[]);
    let only_last = vec![all.last().unwrap().clone()];
    let ev = evaluate(
        Kind::Visit,
        None,
        &only_last,
        Writer {
            user: rep,
            role: Role::Rep,
        },
    );
    assert!(
        matches!(
            ev.verdict,
            Verdict::Rejected {
                code: RejectCode::MissingDeps,
                ..
            }
        ),
        "{:?}",
        ev.verdict
    );
    assert_eq!(first.len() + 1, all.len());
    let (v, _, _) = server.push(
        vid,
        Kind::Visit,
        &all,
        Writer {
            user: rep,
            role: Role::Rep,
        },
    );
    assert_eq!(v, Verdict::Accepted);
    let stored: Visit = document::hydrate(&server.docs[&vid].1).unwrap();
    assert_eq!(stored.rep, Some(rep));
    assert_eq!(stored.outcome, "ordered");
}

#[test]
fn re_pushing_a_whole_history_with_other_authors_is_fine() {
    let mut server = MemServer::default();
    let rep = UserId::new();
    let office = UserId::new();
    let id = seeded(&mut server, TerritoryId::new(), rep);
    // The office edits; the rep's device receives it, edits, and pushes its whole history.
    let mut o = Replica::from_server(&server, id, office);
    o.edit(|c| c.tier = "A".into());
    assert_eq!(o.sync(&mut server, id, Role::Office), Verdict::Accepted);
    let mut r = Replica::from_server(&server, id, rep);
    r.edit(|c| c.notes = "rep".into());
    let everything = pending_changes(&r.doc, &[]);
    let (v, _, _) = server.push(
        id,
        Kind::Customer,
        &everything,
        Writer {
            user: rep,
            role: Role::Rep,
        },
    );
    assert_eq!(v, Verdict::Accepted);
    // But a new change of someone else's is still refused.
    let mut forged = Replica::from_server(&server, id, office);
    forged.edit(|c| c.notes = "not mine".into());
    let pending = pending_changes(&forged.doc, &forged.synced);
    let (v, _, _) = server.push(
        id,
        Kind::Customer,
        &pending,
        Writer {
            user: rep,
            role: Role::Rep,
        },
    );
    assert!(
        matches!(
            v,
            Verdict::Rejected {
                code: RejectCode::ForgedAuthor,
                ..
            }
        ),
        "{v:?}"
    );
}

#[test]
fn invalid_custom_values_are_restored_exactly_by_the_rules() {
    use super::server::evaluate_with;
    use crate::schema::{FieldDef, FieldType, Reference};
    let field = |key: &str, field_type| FieldDef {
        kind: Kind::Customer,
        key: key.into(),
        label_zh: key.into(),
        label_en: key.into(),
        field_type,
        list: None,
        required: false,
        active: true,
        position: 0,
    };
    let rules = Reference::new(
        Vec::new(),
        vec![
            field("credit", FieldType::Number),
            field("since", FieldType::Date),
        ],
    );
    let mut server = MemServer::default();
    let rep = UserId::new();
    let id = seeded(&mut server, TerritoryId::new(), rep);
    let mut a = Replica::from_server(&server, id, rep);
    a.edit(|c| {
        c.custom.insert("credit".into(), "lots".into());
        c.custom.insert("since".into(), "2024-03-05".into());
        c.custom.insert("nobody".into(), "x".into());
        c.tier = "B".into();
    });
    let pending = pending_changes(&a.doc, &a.synced);
    let ev = evaluate_with(
        Kind::Customer,
        server.docs.get(&id).map(|(_, d)| d),
        &pending,
        Writer {
            user: rep,
            role: Role::Rep,
        },
        &rules,
    );
    let Verdict::Compensated { paths, reasons } = &ev.verdict else {
        panic!("{:?}", ev.verdict)
    };
    assert_eq!(
        paths,
        &vec!["custom.credit".to_owned(), "custom.nobody".to_owned()]
    );
    assert!(
        reasons.iter().any(|r| r.contains("not a number")),
        "{reasons:?}"
    );
    let after: Customer = document::hydrate(ev.doc.as_ref().unwrap()).unwrap();
    assert_eq!(after.tier, "B", "the valid edits stay");
    assert_eq!(
        after.custom.into_iter().collect::<Vec<_>>(),
        vec![("since".to_owned(), "2024-03-05".to_owned())]
    );
    // Without rules (no definitions known) custom values pass as before.
    let plain = evaluate(
        Kind::Customer,
        server.docs.get(&id).map(|(_, d)| d),
        &pending,
        Writer {
            user: rep,
            role: Role::Rep,
        },
    );
    assert_eq!(plain.verdict, Verdict::Accepted);
}
