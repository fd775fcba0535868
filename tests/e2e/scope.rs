//! Scope: a device receives exactly the documents of its user's scope, computed from SQL.

use std::collections::BTreeSet;

use fieldcrm_core::DocId;
use fieldcrm_core::document::Kind;
use sqlx::Row;

use crate::harness::{Backend, TestServer};
use crate::raw;

/// The ids of documents whose territory is one of `territories` (all when `None`).
async fn expected(
    server: &TestServer,
    territories: Option<&[fieldcrm_core::TerritoryId]>,
) -> BTreeSet<DocId> {
    let rows = sqlx::query("SELECT id, territory_id FROM documents")
        .fetch_all(server.state.db.pool())
        .await
        .unwrap();
    rows.iter()
        .filter(|r| {
            let t: Option<String> = r.try_get("territory_id").unwrap();
            match territories {
                None => true,
                Some(ts) => t.is_some_and(|t| ts.iter().any(|x| x.to_string() == t)),
            }
        })
        .map(|r| DocId::parse(&r.try_get::<String, _>("id").unwrap()).unwrap())
        .collect()
}

async fn received(server: &TestServer, user: &str) -> (BTreeSet<DocId>, usize) {
    let login = raw::login(server, user).await;
    let mut ws = raw::connect(server, Some(&login.access))
        .await
        .ok()
        .unwrap();
    ws.hello(0).await;
    let (docs, _, _, _) = ws.until_caught_up().await;
    let visits = docs.iter().filter(|d| d.kind == Kind::Visit).count();
    (docs.into_iter().map(|d| d.doc).collect(), visits)
}

async fn devices_receive_exactly_their_scope(backend: Backend) {
    let Some(server) = TestServer::start(backend, 6).await else {
        return;
    };
    let org = server.org.clone();
    let (sh, sh_visits) = received(&server, "rep.sh").await;
    assert_eq!(sh, expected(&server, Some(&[org.shanghai])).await);
    assert!(sh_visits > 0, "the rep's customers' visits come along");
    let (bj, _) = received(&server, "rep.bj").await;
    assert_eq!(bj, expected(&server, Some(&[org.beijing])).await);
    assert!(sh.is_disjoint(&bj));
    let (east, _) = received(&server, "manager.east").await;
    assert_eq!(
        east,
        expected(&server, Some(&[org.shanghai, org.hangzhou, org.east])).await
    );
    assert!(east.is_superset(&sh) && east.is_disjoint(&bj));
    let (office, _) = received(&server, "office").await;
    assert_eq!(office, expected(&server, None).await);
    assert_eq!(office.len(), server.seeded.customers + server.seeded.visits);
    let (engineer, _) = received(&server, "engineer").await;
    assert!(
        engineer.is_empty(),
        "engineers see dispatches only, none yet"
    );
    server.stop().await;
}

on_both_backends!(devices_receive_exactly_their_scope);

async fn a_users_own_scope_change_grants_and_revokes(backend: Backend) {
    use fieldcrm_core::client::FieldClient;
    use fieldcrm_server::db::territories;
    let Some(server) = TestServer::start(backend, 4).await else {
        return;
    };
    let org = server.org.clone();
    let home = tempfile::tempdir().unwrap();
    let client = FieldClient::open(home.path()).await.unwrap();
    client
        .login(
            &server.url,
            "rep.sh",
            crate::harness::PASSWORD,
            "scope change",
        )
        .await
        .unwrap();
    client.sync_once().await.unwrap();
    let held = |c: &FieldClient| {
        let c = c.clone();
        async move {
            c.list_customers(None, 10_000, 0)
                .await
                .unwrap()
                .into_iter()
                .map(|s| DocId::from(s.id))
                .collect::<BTreeSet<_>>()
        }
    };
    let sh_customers: BTreeSet<DocId> = expected(&server, Some(&[org.shanghai])).await;
    let hz_customers: BTreeSet<DocId> = expected(&server, Some(&[org.hangzhou])).await;
    assert!(held(&client).await.is_subset(&sh_customers));
    // rep.sh now also covers 杭州: the next sync grants its records, though none changed.
    let rep = server.user("rep.sh");
    territories::assign_user(&server.state.db, rep, org.hangzhou)
        .await
        .unwrap();
    let r = client.sync_once().await.unwrap();
    assert_eq!(r.docs_received as usize, hz_customers.len(), "{r:?}");
    let now = held(&client).await;
    assert!(
        now.iter().any(|d| hz_customers.contains(d))
            && now.iter().any(|d| sh_customers.contains(d))
    );
    // …and no longer 上海: its records are revoked from the device.
    assert!(
        territories::unassign_user(&server.state.db, rep, org.shanghai)
            .await
            .unwrap()
    );
    let r = client.sync_once().await.unwrap();
    assert_eq!(r.revoked as usize, sh_customers.len(), "{r:?}");
    let now = held(&client).await;
    assert!(now.is_disjoint(&sh_customers) && !now.is_empty() && now.is_subset(&hz_customers));
    server.stop().await;
}

on_both_backends!(a_users_own_scope_change_grants_and_revokes);
