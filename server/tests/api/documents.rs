//! Storage conformance of the document tables: sequence, snapshots and appended changes,
//! compaction, catch-up pagination, scope filtering, moves and revocations, projections — the same
//! assertions on SQLite and PostgreSQL.

use automerge::Automerge;
use fieldcrm_core::DocId;
use fieldcrm_core::document::Kind;
use fieldcrm_core::domain::{Customer, Visit};
use fieldcrm_server::db::documents::{self, COMPACT_AFTER};
use fieldcrm_server::db::territories::ScopeTerritories;
use fieldcrm_server::sync::write;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::TestApp;

async fn customer(app: &TestApp, name: &str, territory: fieldcrm_core::TerritoryId) -> DocId {
    let id = DocId::new();
    let c = Customer {
        name: name.into(),
        territory: Some(territory),
        ..Default::default()
    };
    write::server_create(
        &app.db,
        &app.state.hub,
        Kind::Customer,
        id,
        &serde_json::to_value(&c).unwrap(),
        None,
    )
    .await
    .unwrap();
    id
}

async fn sequence_is_gapless_and_catch_up_pages(app: TestApp) {
    let start = documents::current_seq(&app.db).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(customer(&app, &format!("客户 {i}"), app.seed.shanghai).await);
    }
    let hi = documents::current_seq(&app.db).await.unwrap();
    assert_eq!(hi, start + 7, "one sequence number per write");
    // Keyset pagination over (seq, id) returns each document once, in order.
    let scope = ScopeTerritories::Some(vec![app.seed.shanghai]);
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = documents::changed_since(
            &app.db,
            &scope,
            fieldcrm_core::UserId::new(),
            start,
            hi,
            after,
            3,
        )
        .await
        .unwrap();
        let Some(last) = page.last() else { break };
        after = Some((last.seq, last.id));
        seen.extend(page.iter().map(|d| d.id));
    }
    assert_eq!(seen, ids);
    // A scope without the territory sees nothing; All sees everything.
    let other = ScopeTerritories::Some(vec![app.seed.beijing]);
    assert!(
        documents::changed_since(
            &app.db,
            &other,
            fieldcrm_core::UserId::new(),
            start,
            hi,
            None,
            100
        )
        .await
        .unwrap()
        .is_empty()
    );
    assert!(
        documents::changed_since(
            &app.db,
            &ScopeTerritories::None,
            fieldcrm_core::UserId::new(),
            start,
            hi,
            None,
            100
        )
        .await
        .unwrap()
        .is_empty()
    );
    assert_eq!(
        documents::changed_since(
            &app.db,
            &ScopeTerritories::All,
            fieldcrm_core::UserId::new(),
            start,
            hi,
            None,
            100
        )
        .await
        .unwrap()
        .len(),
        7
    );
    // A rolled-back write gives its number back.
    let w = documents::begin_write(&app.db).await.unwrap();
    assert_eq!(w.seq(), hi + 1);
    w.rollback().await.unwrap();
    assert_eq!(documents::current_seq(&app.db).await.unwrap(), hi);
}

async fn changes_append_then_compact_and_data_loads(app: TestApp) {
    let id = customer(&app, "压缩测试 Compaction", app.seed.hangzhou).await;
    let created = documents::current_seq(&app.db).await.unwrap();
    let scope = ScopeTerritories::Some(vec![app.seed.hangzhou]);
    let mut last = created;
    for i in 0..(COMPACT_AFTER + 3) {
        write::server_update(&app.db, &app.state.hub, id, None, "test.edit", |v| {
            v["notes"] = json!(format!("edit {i}"));
            Ok(())
        })
        .await
        .unwrap();
        let now = documents::current_seq(&app.db).await.unwrap();
        // A device at the previous cursor receives only the new change…
        let page = documents::changed_since(
            &app.db,
            &scope,
            fieldcrm_core::UserId::new(),
            last,
            now,
            None,
            10,
        )
        .await
        .unwrap();
        assert_eq!(page.len(), 1);
        let data = documents::doc_data(&app.db, &page, last).await.unwrap();
        // …unless this write compacted the document: then the whole document comes.
        let expect_full = page[0].full;
        let mut partial = Automerge::new();
        let loaded = partial.load_incremental(&data[0]);
        if expect_full {
            let doc = Automerge::load(&data[0]).unwrap();
            let c: Customer = autosurgeon::hydrate(&doc).unwrap();
            assert_eq!(c.notes, format!("edit {i}"));
        } else {
            assert!(loaded.is_ok());
            assert!(
                !data[0].is_empty() && data[0].len() < 2_000,
                "only the new change: {} bytes",
                data[0].len()
            );
        }
        last = now;
    }
    // From cursor 0 the document always arrives whole and loads to the latest state.
    let page = documents::changed_since(
        &app.db,
        &scope,
        fieldcrm_core::UserId::new(),
        0,
        last,
        None,
        10,
    )
    .await
    .unwrap();
    assert!(page[0].full);
    let data = documents::doc_data(&app.db, &page, 0).await.unwrap();
    let doc = Automerge::load(&data[0]).unwrap();
    let c: Customer = autosurgeon::hydrate(&doc).unwrap();
    assert_eq!(c.notes, format!("edit {}", COMPACT_AFTER + 2));
    let heads: Vec<u8> = doc.get_heads().iter().flat_map(|h| h.0).collect();
    assert_eq!(heads, page[0].heads, "stored heads match the data");
    let record = write::load_record(&app.db, id).await.unwrap();
    assert_eq!(
        record["notes"],
        json!(format!("edit {}", COMPACT_AFTER + 2))
    );
}

async fn moves_revoke_and_grant_with_children(app: TestApp) {
    let id = customer(&app, "搬迁 Moving Co", app.seed.shanghai).await;
    let visit = Visit {
        customer: Some(id.into()),
        purpose: "回访".into(),
        ..Default::default()
    };
    let vid = DocId::new();
    write::server_create(
        &app.db,
        &app.state.hub,
        Kind::Visit,
        vid,
        &serde_json::to_value(&visit).unwrap(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        documents::anchors(&app.db, vid).await.unwrap().unwrap().1,
        Some(app.seed.shanghai),
        "visit follows customer"
    );
    let before = documents::current_seq(&app.db).await.unwrap();
    write::move_customer(&app.db, &app.state.hub, id, app.seed.beijing, None)
        .await
        .unwrap();
    let hi = documents::current_seq(&app.db).await.unwrap();
    let sh = ScopeTerritories::Some(vec![app.seed.shanghai]);
    let bj = ScopeTerritories::Some(vec![app.seed.beijing]);
    let mut revoked =
        documents::revoked_since(&app.db, &sh, fieldcrm_core::UserId::new(), before, hi)
            .await
            .unwrap();
    revoked.sort();
    let mut expected = vec![id, vid];
    expected.sort();
    assert_eq!(revoked, expected);
    assert!(
        documents::revoked_since(&app.db, &bj, fieldcrm_core::UserId::new(), before, hi)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        documents::revoked_since(
            &app.db,
            &ScopeTerritories::All,
            fieldcrm_core::UserId::new(),
            before,
            hi
        )
        .await
        .unwrap()
        .is_empty()
    );
    // The gaining scope gets both, whole (they may be new to it).
    let granted = documents::changed_since(
        &app.db,
        &bj,
        fieldcrm_core::UserId::new(),
        before,
        hi,
        None,
        10,
    )
    .await
    .unwrap();
    assert_eq!(granted.len(), 2);
    assert!(granted.iter().all(|d| d.full));
    // Moving back: the revocation is not reported to a scope that has it again.
    write::move_customer(&app.db, &app.state.hub, id, app.seed.shanghai, None)
        .await
        .unwrap();
    let hi2 = documents::current_seq(&app.db).await.unwrap();
    assert!(
        documents::revoked_since(&app.db, &sh, fieldcrm_core::UserId::new(), before, hi2)
            .await
            .unwrap()
            .is_empty()
    );
    // find_customer by id and by code.
    assert_eq!(
        documents::find_customer(&app.db, &id.to_string())
            .await
            .unwrap(),
        Some(id)
    );
    assert_eq!(
        documents::find_customer(&app.db, "no-such-code")
            .await
            .unwrap(),
        None
    );
    assert_eq!(documents::count(&app.db, Kind::Visit).await.unwrap(), 1);
}

async fn invalid_server_edits_store_nothing(app: TestApp) {
    let id = customer(&app, "校验 Validation", app.seed.shanghai).await;
    let seq = documents::current_seq(&app.db).await.unwrap();
    let err = write::server_update(&app.db, &app.state.hub, id, None, "test.edit", |v| {
        v["name"] = json!("  ");
        Ok(())
    })
    .await;
    assert!(matches!(err, Err(write::WriteError::Invalid(_))), "{err:?}");
    let unchanged =
        write::server_update(&app.db, &app.state.hub, id, None, "test.noop", |_| Ok(()))
            .await
            .unwrap();
    assert_eq!(unchanged, None, "no change, no sequence number");
    assert_eq!(documents::current_seq(&app.db).await.unwrap(), seq);
    let bad_visit = Visit {
        customer: Some(DocId::new().into()),
        ..Default::default()
    };
    let err = write::server_create(
        &app.db,
        &app.state.hub,
        Kind::Visit,
        DocId::new(),
        &serde_json::to_value(&bad_visit).unwrap(),
        None,
    )
    .await;
    assert!(
        matches!(err, Err(write::WriteError::Invalid(_))),
        "visit of an unknown customer: {err:?}"
    );
    assert_eq!(documents::current_seq(&app.db).await.unwrap(), seq);
}

backend_tests!(
    sequence_is_gapless_and_catch_up_pages,
    changes_append_then_compact_and_data_loads,
    moves_revoke_and_grant_with_children,
    invalid_server_edits_store_nothing,
);
