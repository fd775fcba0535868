//! Tests of the device client without a server process: store transactions and projections, and
//! the sync driver ([`SyncSession`]) fed with server messages made by the real sans-I/O server
//! logic ([`crate::sync::server::evaluate`]) over an in-memory document map.

use std::collections::HashMap;
use std::path::Path;

use automerge::Automerge;
use serde_bytes::ByteBuf;
use tokio::sync::broadcast;

use super::*;
use crate::document::Kind;
use crate::domain::{CheckPoint, Contact, GeoPoint};
use crate::ids::{ContactId, TerritoryId};
use crate::protocol::{ClientMessage, DocData, RejectCode, ServerMessage, Verdict, hashes_to_wire};
use crate::sync::server::{Writer, evaluate};

/// A client logged in (without a server) as a new rep.
async fn client(home: &Path) -> (FieldClient, UserId) {
    let c = FieldClient::open(home).await.unwrap();
    let user = UserId::new();
    c.store()
        .set_meta(&[
            (META_SERVER, "http://127.0.0.1:9".to_owned()),
            (META_USER_ID, user.to_string()),
            (META_USERNAME, "rep1".to_owned()),
            (META_ROLE, "rep".to_owned()),
            (META_DEVICE, DeviceId::new().to_string()),
        ])
        .await
        .unwrap();
    (c, user)
}

fn customer(name: &str, territory: TerritoryId) -> Customer {
    Customer {
        name: name.into(),
        territory: Some(territory),
        ..Default::default()
    }
}

/// A server in memory, judging pushes with the real verdict logic.
struct MemServer {
    docs: HashMap<DocId, (Kind, Automerge)>,
    writer: Writer,
    seq: u64,
}

impl MemServer {
    fn new(user: UserId) -> Self {
        Self {
            docs: HashMap::new(),
            writer: Writer {
                user,
                role: Role::Rep,
            },
            seq: 0,
        }
    }

    /// Answers every `push` among `msgs`.
    fn answer(&mut self, msgs: &[ClientMessage]) -> Vec<ServerMessage> {
        msgs.iter()
            .filter_map(|m| match m {
                ClientMessage::Push {
                    push_id,
                    doc,
                    kind,
                    changes,
                } => {
                    let raw: Vec<Vec<u8>> = changes.iter().map(|c| c.to_vec()).collect();
                    let existing = self.docs.get(doc).map(|(_, d)| d);
                    let ev = evaluate(*kind, existing, &raw, self.writer);
                    if let Some(d) = ev.doc {
                        self.seq += 1;
                        self.docs.insert(*doc, (*kind, d));
                    }
                    let heads = self
                        .docs
                        .get(doc)
                        .filter(|_| !matches!(ev.verdict, Verdict::Rejected { .. }))
                        .map(|(_, d)| hashes_to_wire(&d.get_heads()))
                        .unwrap_or_default();
                    Some(ServerMessage::PushResult {
                        push_id: *push_id,
                        doc: *doc,
                        verdict: ev.verdict,
                        changes: ev.server_change.into_iter().map(ByteBuf::from).collect(),
                        heads,
                    })
                }
                _ => None,
            })
            .collect()
    }

    fn docs_frame(&self, ids: &[DocId]) -> ServerMessage {
        ServerMessage::Docs {
            docs: ids
                .iter()
                .map(|id| {
                    let (kind, d) = &self.docs[id];
                    DocData {
                        doc: *id,
                        kind: *kind,
                        seq: self.seq,
                        data: ByteBuf::from(d.save()),
                        heads: hashes_to_wire(&d.get_heads()),
                    }
                })
                .collect(),
        }
    }

    /// Seeds a customer authored by `author` directly on the server.
    fn seed(&mut self, c: &Customer, author: UserId) -> DocId {
        let id = DocId::new();
        let doc = document::new_document(c, author_for(author)).unwrap();
        self.docs.insert(id, (Kind::Customer, doc));
        self.seq += 1;
        id
    }
}

fn welcome(user: UserId) -> ServerMessage {
    ServerMessage::Welcome {
        version: crate::protocol::PROTOCOL_VERSION,
        user,
        role: Role::Rep,
        device: DeviceId::new(),
    }
}

async fn session(c: &FieldClient) -> SyncSession {
    let (events, _) = broadcast::channel(64);
    SyncSession::start(c.store().clone(), events)
        .await
        .unwrap()
        .0
}

/// Runs a connection to completion: welcome, the pushes answered by `server`, caught up.
async fn sync_with(c: &FieldClient, server: &mut MemServer, user: UserId) -> SyncReport {
    let mut s = session(c).await;
    let mut out = s.handle(welcome(user)).await.unwrap();
    while !out.is_empty() {
        let mut next = Vec::new();
        for m in server.answer(&out) {
            next.extend(s.handle(m).await.unwrap());
        }
        out = next;
    }
    s.handle(ServerMessage::CaughtUp { cursor: server.seq })
        .await
        .unwrap();
    assert!(s.settled());
    s.report().clone()
}

#[tokio::test]
async fn local_edits_survive_reopen_and_stay_pending() {
    let dir = tempfile::tempdir().unwrap();
    let (c, _) = client(dir.path()).await;
    let id = c
        .create_customer(customer("华联超市 Hualian", TerritoryId::new()))
        .await
        .unwrap();
    c.set_customer_fields(
        id,
        &[
            ("tier".into(), "A".into()),
            ("address.city".into(), "上海".into()),
        ],
    )
    .await
    .unwrap();
    assert!(matches!(
        c.set_customer_fields(id, &[("email".into(), "not an email".into())])
            .await,
        Err(ClientError::InvalidInput(_))
    ));
    assert!(matches!(
        c.get_customer(CustomerId::new()).await,
        Err(ClientError::NotFound(_))
    ));
    c.store().close().await;
    drop(c);

    let c = FieldClient::open(dir.path()).await.unwrap();
    let back = c.get_customer(id).await.unwrap();
    assert_eq!(
        (
            back.name.as_str(),
            back.tier.as_str(),
            back.address.city.as_str()
        ),
        ("华联超市 Hualian", "A", "上海")
    );
    let status = c.status().await.unwrap();
    assert_eq!(status.pending_docs, 1);
    assert_eq!(status.cursor, 0);
    let list = c.list_customers(None, 50, 0).await.unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].pending);
    assert_eq!(list[0].city, "上海");
    // A visit is validated locally: it needs its customer.
    assert!(matches!(
        c.create_visit(Visit::default()).await,
        Err(ClientError::InvalidInput(_))
    ));
}

#[tokio::test]
async fn projection_search_covers_chinese_contacts_and_phones() {
    let dir = tempfile::tempdir().unwrap();
    let (c, _) = client(dir.path()).await;
    let t = TerritoryId::new();
    let mut hualian = customer("华联超市", t);
    hualian.code = "C-SH-0001".into();
    hualian.phones = vec!["021-5555 0101".into()];
    hualian.address.city = "上海".into();
    hualian.contacts = vec![Contact {
        id: ContactId::new(),
        name: "王小明".into(),
        phones: vec!["13800000001".into()],
        ..Default::default()
    }];
    let h = c.create_customer(hualian).await.unwrap();
    let mut acme = customer("ACME Trading 100%", t);
    acme.address.city = "杭州".into();
    let a = c.create_customer(acme).await.unwrap();

    let find = |q: &'static str| {
        let c = c.clone();
        async move {
            c.list_customers(Some(q), 50, 0)
                .await
                .unwrap()
                .into_iter()
                .map(|s| s.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(find("华联").await, vec![h]);
    assert_eq!(find("王小明").await, vec![h]);
    assert_eq!(find("55550101").await, vec![h]);
    assert_eq!(find("13800000001").await, vec![h]);
    assert_eq!(find("c-sh").await, vec![h]);
    assert_eq!(find("上海").await, vec![h]);
    assert_eq!(find("acme").await, vec![a]);
    assert_eq!(find("100%").await, vec![a]);
    assert_eq!(find("0%").await, vec![a], "% is literal, not a wildcard");
    assert!(find("深圳").await.is_empty());
    assert_eq!(find("").await.len(), 2);
    assert_eq!(c.list_customers(None, 1, 1).await.unwrap().len(), 1);

    // Visits project too, and list by customer.
    let v = c
        .create_visit(Visit {
            customer: Some(h),
            purpose: "介绍".into(),
            check_in: Some(CheckPoint {
                at: 1_700_000_000_000,
                geo: Some(GeoPoint::parse(31.2, 121.4).unwrap()),
                accuracy_m: Some(5.0),
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    c.edit_visit(v, |v| v.outcome = "下单 ordered".into())
        .await
        .unwrap();
    let visits = c.list_visits(Some(h)).await.unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].outcome, "下单 ordered");
    assert_eq!(visits[0].check_in_at, Some(1_700_000_000_000));
    assert!(c.list_visits(Some(a)).await.unwrap().is_empty());
    assert_eq!(c.get_visit(v).await.unwrap().purpose, "介绍");
}

#[tokio::test]
async fn push_accept_then_compensate_territory_and_owner() {
    let dir = tempfile::tempdir().unwrap();
    let (c, user) = client(dir.path()).await;
    let mut server = MemServer::new(user);
    let t = TerritoryId::new();
    let id = c.create_customer(customer("Acme", t)).await.unwrap();

    let r = sync_with(&c, &mut server, user).await;
    assert_eq!((r.pushed, r.accepted, r.rejected), (1, 1, 0));
    let got = c.get_customer(id).await.unwrap();
    assert_eq!(got.owner, Some(user), "server fill merged");
    assert_eq!(c.status().await.unwrap().pending_docs, 0);
    assert_eq!(c.status().await.unwrap().cursor, server.seq);
    assert!(c.status().await.unwrap().last_sync_at.is_some());

    // Nothing pending: a reconnect pushes nothing.
    let r = sync_with(&c, &mut server, user).await;
    assert_eq!(r.pushed, 0);

    let other_t = TerritoryId::new();
    c.set_customer_fields(
        id,
        &[
            ("territory".into(), other_t.to_string()),
            ("owner".into(), UserId::new().to_string()),
            ("tier".into(), "B".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(c.status().await.unwrap().pending_docs, 1);
    let r = sync_with(&c, &mut server, user).await;
    assert_eq!((r.pushed, r.compensated), (1, 1));
    let got = c.get_customer(id).await.unwrap();
    assert_eq!(
        (got.territory, got.owner, got.tier.as_str()),
        (Some(t), Some(user), "B")
    );
    let row = &c.list_customers(None, 10, 0).await.unwrap()[0];
    assert_eq!((row.territory, row.pending), (Some(t), false));
    let notices = c.notices().await.unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].kind, NoticeKind::Compensated);
    assert!(
        notices[0].message.contains("territory"),
        "{}",
        notices[0].message
    );
    assert_eq!(
        c.status().await.unwrap().unseen_notices,
        0,
        "seen once read"
    );
    let server_copy: Customer = document::hydrate(&server.docs[&DocId::from(id)].1).unwrap();
    assert_eq!(server_copy, got);
}

#[tokio::test]
async fn rejected_new_document_disappears_into_quarantine() {
    let dir = tempfile::tempdir().unwrap();
    let (c, user) = client(dir.path()).await;
    let id = c
        .create_customer(customer("Out of scope", TerritoryId::new()))
        .await
        .unwrap();
    let mut s = session(&c).await;
    let out = s.handle(welcome(user)).await.unwrap();
    let [ClientMessage::Push { push_id, .. }] = out.as_slice() else {
        panic!("{out:?}")
    };
    s.handle(ServerMessage::PushResult {
        push_id: *push_id,
        doc: id.into(),
        verdict: Verdict::Rejected {
            code: RejectCode::OutOfScope,
            reason: "territory not yours".into(),
        },
        changes: vec![],
        heads: vec![],
    })
    .await
    .unwrap();
    assert_eq!(s.report().rejected, 1);
    assert!(c.list_customers(None, 10, 0).await.unwrap().is_empty());
    assert!(matches!(
        c.get_customer(id).await,
        Err(ClientError::NotFound(_))
    ));
    let q = c.quarantine().await.unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(
        (q[0].code.as_str(), q[0].kind),
        ("out_of_scope", Kind::Customer)
    );
    // The quarantined changes still hold the record.
    let kept: Customer = document::hydrate(&Automerge::load(&q[0].changes).unwrap()).unwrap();
    assert_eq!(kept.name, "Out of scope");
    let n = c.notices().await.unwrap();
    assert_eq!(n[0].kind, NoticeKind::Rejected);
    assert_eq!(c.status().await.unwrap().pending_docs, 0);
}

#[tokio::test]
async fn rejected_edit_rolls_back_to_synced_state() {
    let dir = tempfile::tempdir().unwrap();
    let (c, user) = client(dir.path()).await;
    let mut server = MemServer::new(user);
    let id = c
        .create_customer(customer("Acme", TerritoryId::new()))
        .await
        .unwrap();
    sync_with(&c, &mut server, user).await;
    c.edit_customer(id, |c| c.notes = "secret".into())
        .await
        .unwrap();
    let mut s = session(&c).await;
    let out = s.handle(welcome(user)).await.unwrap();
    let [ClientMessage::Push { push_id, .. }] = out.as_slice() else {
        panic!("{out:?}")
    };
    s.handle(ServerMessage::PushResult {
        push_id: *push_id,
        doc: id.into(),
        verdict: Verdict::Rejected {
            code: RejectCode::OutOfScope,
            reason: "moved away".into(),
        },
        changes: vec![],
        heads: vec![],
    })
    .await
    .unwrap();
    let got = c.get_customer(id).await.unwrap();
    assert_eq!((got.name.as_str(), got.notes.as_str()), ("Acme", ""));
    assert_eq!(c.status().await.unwrap().pending_docs, 0);
    assert_eq!(c.quarantine().await.unwrap().len(), 1);
}

#[tokio::test]
async fn missing_deps_repushes_full_history_once() {
    let dir = tempfile::tempdir().unwrap();
    let (c, user) = client(dir.path()).await;
    let id = c
        .create_customer(customer("Acme", TerritoryId::new()))
        .await
        .unwrap();
    let mut s = session(&c).await;
    let out = s.handle(welcome(user)).await.unwrap();
    let missing = |push_id: u64| ServerMessage::PushResult {
        push_id,
        doc: id.into(),
        verdict: Verdict::Rejected {
            code: RejectCode::MissingDeps,
            reason: "push everything".into(),
        },
        changes: vec![],
        heads: vec![],
    };
    let ClientMessage::Push { push_id, .. } = &out[0] else {
        panic!()
    };
    let again = s.handle(missing(*push_id)).await.unwrap();
    let [
        ClientMessage::Push {
            push_id, changes, ..
        },
    ] = again.as_slice()
    else {
        panic!("{again:?}")
    };
    assert!(!changes.is_empty());
    // A second missing_deps is final: quarantined.
    assert!(s.handle(missing(*push_id)).await.unwrap().is_empty());
    assert_eq!((s.report().pushed, s.report().rejected), (2, 1));
    assert_eq!(c.quarantine().await.unwrap()[0].code, "missing_deps");
}

#[tokio::test]
async fn docs_frames_merge_with_local_edits_and_cursor_persists() {
    let dir = tempfile::tempdir().unwrap();
    let (c, user) = client(dir.path()).await;
    let mut server = MemServer::new(user);
    let office = UserId::new();
    let t = TerritoryId::new();
    let ids: Vec<DocId> = (0..3)
        .map(|i| server.seed(&customer(&format!("客户 {i}"), t), office))
        .collect();

    let mut s = session(&c).await;
    assert!(s.handle(welcome(user)).await.unwrap().is_empty());
    s.handle(server.docs_frame(&ids)).await.unwrap();
    s.handle(ServerMessage::CaughtUp { cursor: 3 })
        .await
        .unwrap();
    assert_eq!(s.report().docs_received, 3);
    assert_eq!(
        c.list_customers(Some("客户"), 10, 0).await.unwrap().len(),
        3
    );
    assert_eq!(c.status().await.unwrap().pending_docs, 0);
    assert_eq!(c.status().await.unwrap().cursor, 3);

    // Offline: a local edit; meanwhile the office edits another field on the server.
    let cid: CustomerId = ids[0].into();
    c.edit_customer(cid, |c| c.tier = "A".into()).await.unwrap();
    {
        let (_, d) = server.docs.get_mut(&ids[0]).unwrap();
        let mut rec: Customer = document::hydrate(d).unwrap();
        rec.industry = "零售".into();
        let v = serde_json::to_value(&rec).unwrap();
        document::write_json(Kind::Customer, d, &v, author_for(office), "office").unwrap();
        server.seq += 1;
    }
    // Reconnect: only the changed document comes, the local edit survives the merge and is
    // still pending, then it is pushed.
    let mut s = session(&c).await;
    let pushes = s.handle(welcome(user)).await.unwrap();
    assert_eq!(pushes.len(), 1);
    s.handle(server.docs_frame(&ids[..1])).await.unwrap();
    let got = c.get_customer(cid).await.unwrap();
    assert_eq!((got.tier.as_str(), got.industry.as_str()), ("A", "零售"));
    assert_eq!(c.status().await.unwrap().pending_docs, 1);
    for m in server.answer(&pushes) {
        assert!(s.handle(m).await.unwrap().is_empty());
    }
    s.handle(ServerMessage::CaughtUp { cursor: server.seq })
        .await
        .unwrap();
    assert!(s.settled());
    assert_eq!((s.report().docs_received, s.report().accepted), (1, 1));
    assert_eq!(c.status().await.unwrap().pending_docs, 0);
    let server_copy: Customer = document::hydrate(&server.docs[&ids[0]].1).unwrap();
    assert_eq!(server_copy, c.get_customer(cid).await.unwrap());
}

#[tokio::test]
async fn revoke_purges_and_quarantines_unsynced_edits() {
    let dir = tempfile::tempdir().unwrap();
    let (c, user) = client(dir.path()).await;
    let mut server = MemServer::new(user);
    let t = TerritoryId::new();
    let clean = server.seed(&customer("Clean", t), user);
    let dirty = server.seed(&customer("Dirty", t), user);
    let mut s = session(&c).await;
    s.handle(welcome(user)).await.unwrap();
    s.handle(server.docs_frame(&[clean, dirty])).await.unwrap();
    c.edit_customer(dirty.into(), |c| c.notes = "unsynced".into())
        .await
        .unwrap();
    let mut events = c.subscribe();
    let (tx, _) = broadcast::channel(8);
    let mut s = SyncSession::start(c.store().clone(), tx.clone())
        .await
        .unwrap()
        .0;
    let mut rx = tx.subscribe();
    s.handle(welcome(user)).await.unwrap();
    s.handle(ServerMessage::Revoke {
        docs: vec![clean, dirty],
        reason: "territory reassigned".into(),
    })
    .await
    .unwrap();
    assert_eq!(s.report().revoked, 2);
    assert!(c.list_customers(None, 10, 0).await.unwrap().is_empty());
    assert_eq!(c.status().await.unwrap().pending_docs, 0);
    let q = c.quarantine().await.unwrap();
    assert_eq!(
        (q.len(), q[0].doc_id, q[0].code.as_str()),
        (1, dirty, "revoked")
    );
    let mut kinds: Vec<NoticeKind> = c.notices().await.unwrap().iter().map(|n| n.kind).collect();
    kinds.sort_by_key(|k| format!("{k:?}"));
    assert_eq!(kinds, vec![NoticeKind::Rejected, NoticeKind::Revoked]);
    assert_eq!(rx.try_recv().unwrap(), SyncEvent::Connected);
    assert_eq!(
        rx.try_recv().unwrap(),
        SyncEvent::Revoked {
            docs: vec![clean, dirty]
        }
    );
    assert!(
        events.try_recv().is_err(),
        "sessions use the channel they are given"
    );
}

#[tokio::test]
async fn protocol_errors_surface() {
    let dir = tempfile::tempdir().unwrap();
    let (c, user) = client(dir.path()).await;
    let mut s = session(&c).await;
    assert!(matches!(
        s.handle(ServerMessage::CaughtUp { cursor: 1 }).await,
        Err(ClientError::Protocol(_))
    ));
    let mut s = session(&c).await;
    s.handle(welcome(user)).await.unwrap();
    assert!(matches!(
        s.handle(ServerMessage::Error {
            code: crate::protocol::ErrorCode::DeviceRevoked,
            message: "bye".into()
        })
        .await,
        Err(ClientError::Unauthorized(_))
    ));
    assert!(matches!(
        s.handle_frame(&[0xc1]).await,
        Err(ClientError::Protocol(_))
    ));
}

#[tokio::test]
async fn sync_without_server_is_offline_and_logout_wipes() {
    let dir = tempfile::tempdir().unwrap();
    let (c, _) = client(dir.path()).await;
    c.create_customer(customer("Kept", TerritoryId::new()))
        .await
        .unwrap();
    // No access token stored yet → refresh needed → no refresh token: not logged in.
    assert!(matches!(
        c.sync_once().await,
        Err(ClientError::Unauthorized(_))
    ));
    c.store()
        .set_meta(&[
            (META_ACCESS, "tok".to_owned()),
            (META_ACCESS_EXPIRES, i64::MAX.to_string()),
        ])
        .await
        .unwrap();
    // Port 9 (discard) on localhost is closed: offline, and the local work is kept.
    assert!(matches!(c.sync_once().await, Err(ClientError::Offline(_))));
    assert_eq!(c.status().await.unwrap().pending_docs, 1);
    c.logout().await.unwrap();
    assert!(c.session().await.unwrap().is_none());
    assert!(c.list_customers(None, 10, 0).await.unwrap().is_empty());
}
