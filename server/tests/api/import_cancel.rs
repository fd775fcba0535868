//! Cancelling a running customer import, on SQLite and PostgreSQL. The run is held at a batch
//! boundary by the application's `BatchGate` (no timing luck): after two batches of a file four
//! batches long the office cancels; the job ends `cancelled` with exactly the rows of those two
//! batches imported (as many as the customers table holds), says so on its page, still serves
//! its error report, and is audited. To another importer the job is not found (404, like an
//! unknown job and like its other routes), running or not; an administrator may cancel anyone's
//! import; cancelling a job that is not running is refused and changes nothing.

use std::time::Duration;

use fieldcrm_core::document::Kind;
use fieldcrm_server::db::audit::{self, AuditFilter};
use fieldcrm_server::db::documents;
use fieldcrm_server::db::imports::{self, JobId, JobStatus};
use fieldcrm_server::import::run::BATCH;
use hyper::StatusCode;

use crate::backend_tests;
use crate::helpers::TestApp;
use crate::import::{get, mapping_form, post_form, run_to_end, upload_ok};
use crate::web::sign_in;

/// Rows of the big file: four batches.
const ROWS: usize = 4 * BATCH;

/// `ROWS` customers in 上海; every 100th row (from row 7 on) has a bad e-mail and is rejected.
fn big_file() -> String {
    let mut file = String::from("编码,名称,区域,邮箱\n");
    for i in 0..ROWS {
        let email = if i % 100 == 7 { "not-an-email" } else { "" };
        file.push_str(&format!("C-{i},取消测试客户{i},上海,{email}\n"));
    }
    file
}

async fn job(app: &TestApp, id: JobId) -> imports::Job {
    imports::get(&app.db, id).await.unwrap().unwrap()
}

/// Waits until the job satisfies `done` (the run is a background task).
async fn wait_for(app: &TestApp, id: JobId, what: &str, done: impl Fn(&imports::Job) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let j = job(app, id).await;
        if done(&j) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: {:?} {:?}",
            j.status,
            j.counts
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_running_import_is_cancelled_between_batches(app: TestApp) {
    let office = sign_in(&app, "office").await;
    let id = upload_ok(&app, &office, "big.csv", big_file().as_bytes()).await;
    let form = mapping_form(&app, id, "code", "skip", "").await;
    // Hold the run after two batches.
    let permits = app.state.import_gate.close();
    permits.add_permits(2);
    let r = post_form(&app, &office, &format!("/import/{id}/run"), &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let two = i64::try_from(2 * BATCH).unwrap();
    wait_for(&app, id, "two batches", |j| j.counts.done == two).await;
    // The progress block offers the cancel button (a form with the CSRF token).
    let page = get(&app, &office, &format!("/import/{id}/status"))
        .await
        .text();
    assert!(
        page.contains("id=\"cancel-import\"")
            && page.contains(&format!("action=\"/import/{id}/cancel\""))
            && page.contains(&format!("value=\"{}\"", office.csrf)),
        "{page}"
    );

    // Another importer may not cancel it: to them the job is not found, exactly as an unknown
    // job and as on the job's other routes; nothing changes.
    let manager = sign_in(&app, "manager.east").await;
    let r = post_form(&app, &manager, &format!("/import/{id}/cancel"), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    let unknown = post_form(
        &app,
        &manager,
        &format!("/import/{}/cancel", JobId::new()),
        &[],
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.text(),
        unknown.text(),
        "indistinguishable from an unknown job"
    );
    for path in [format!("/import/{id}"), format!("/import/{id}/status")] {
        assert_eq!(
            get(&app, &manager, &path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let j = job(&app, id).await;
    assert_eq!(
        (j.status, j.cancel_requested_at),
        (JobStatus::Running, None)
    );

    // The office cancels: the page says it stops after the current batch.
    let r = post_form(&app, &office, &format!("/import/{id}/cancel"), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.text().contains("id=\"cancelling\"") && !r.text().contains("id=\"cancel-import\""),
        "{}",
        r.text()
    );
    assert_eq!(
        job(&app, id).await.cancel_requested_by,
        Some(app.seed.users["office"])
    );
    // Let the run go on: it stops before its third batch.
    permits.add_permits(ROWS);
    wait_for(&app, id, "cancelled", |j| j.status != JobStatus::Running).await;
    let j = job(&app, id).await;
    assert_eq!(j.status, JobStatus::Cancelled, "{}", j.error);
    assert_eq!(
        (
            j.counts.done,
            j.counts.created,
            j.counts.rejected,
            j.total_rows
        ),
        (two, two - 10, 10, i64::try_from(ROWS).unwrap())
    );
    assert!(j.counts.done < j.total_rows);
    assert_eq!(
        documents::count(&app.db, Kind::Customer).await.unwrap(),
        j.counts.created,
        "the customers written before the cancel stay, no more"
    );
    let projected: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(projected, j.counts.created);

    // The page says how many were imported; the error report still downloads.
    let page = get(&app, &office, &format!("/import/{id}/status"))
        .await
        .text();
    assert!(
        page.contains(&format!(
            "取消前已导入 {} 行",
            j.counts.created + j.counts.updated
        )) && page.contains("已取消")
            && page.contains("id=\"errors-csv\"")
            && !page.contains("id=\"cancel-import\"")
            && !page.contains("hx-trigger"),
        "{page}"
    );
    let csv = get(&app, &office, &format!("/import/{id}/errors.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = csv.text();
    assert_eq!(text.lines().count(), 1 + 10, "{text}");
    assert!(text.contains("not-an-email"), "{text}");
    let xlsx = get(&app, &office, &format!("/import/{id}/errors.xlsx")).await;
    assert_eq!(xlsx.status, StatusCode::OK);

    // Audited: the request (who) and the run's end (cancelled, with its counts).
    let cancels = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("web.import.cancel".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(cancels.len(), 1);
    assert_eq!(cancels[0].entry.user_id, Some(app.seed.users["office"]));
    assert_eq!(cancels[0].entry.detail["job"], id.to_string());
    let runs = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("import.run".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].entry.verdict.as_deref(), Some("cancelled"));
    assert_eq!(runs[0].entry.detail["created"], two - 10);

    // Cancelling it again is refused; the job stays as it is and final.
    let r = post_form(&app, &office, &format!("/import/{id}/cancel"), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(r.text().contains("无法取消"), "{}", r.text());
    let again = job(&app, id).await;
    assert_eq!(
        (again.status, again.counts, again.finished_at),
        (JobStatus::Cancelled, j.counts, j.finished_at)
    );
    let r = post_form(&app, &office, &format!("/import/{id}/run"), &form).await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "a cancelled import is final"
    );
}

async fn a_finished_or_unstarted_import_cannot_be_cancelled(app: TestApp) {
    let office = sign_in(&app, "office").await;
    let id = upload_ok(
        &app,
        &office,
        "small.csv",
        "名称,区域\n甲,上海\n".as_bytes(),
    )
    .await;
    // Not started yet.
    let r = post_form(&app, &office, &format!("/import/{id}/cancel"), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(job(&app, id).await.status, JobStatus::Draft);
    // Finished.
    let form = mapping_form(&app, id, "name", "skip", "").await;
    let done = run_to_end(&app, &office, id, "run", &form).await;
    assert_eq!(done.status, JobStatus::Done, "{}", done.error);
    let r = post_form(&app, &office, &format!("/import/{id}/cancel"), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let after = job(&app, id).await;
    assert_eq!(
        (
            after.status,
            after.counts,
            after.finished_at,
            after.cancel_requested_at
        ),
        (JobStatus::Done, done.counts, done.finished_at, None)
    );
    // Another importer gets "not found" for it, not the reason it cannot be cancelled.
    let manager = sign_in(&app, "manager.east").await;
    let r = post_form(&app, &manager, &format!("/import/{id}/cancel"), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    // Unknown jobs are not found; no cancel was audited.
    let r = post_form(
        &app,
        &office,
        &format!("/import/{}/cancel", JobId::new()),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let cancels = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("web.import.cancel".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert!(cancels.is_empty());
}

async fn a_cancelled_dry_run_may_run_again(app: TestApp) {
    let admin = sign_in(&app, "admin").await;
    let office = sign_in(&app, "office").await;
    let id = upload_ok(&app, &office, "big.csv", big_file().as_bytes()).await;
    let form = mapping_form(&app, id, "code", "skip", "").await;
    let permits = app.state.import_gate.close();
    permits.add_permits(1);
    let r = post_form(&app, &office, &format!("/import/{id}/dry-run"), &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let one = i64::try_from(BATCH).unwrap();
    wait_for(&app, id, "one batch", |j| j.counts.done == one).await;
    // An administrator may cancel anyone's import.
    let r = post_form(&app, &admin, &format!("/import/{id}/cancel"), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    permits.add_permits(4 * ROWS);
    wait_for(&app, id, "cancelled", |j| j.status != JobStatus::Running).await;
    let j = job(&app, id).await;
    assert_eq!(
        (j.status, j.dry_run, j.counts.done),
        (JobStatus::Cancelled, true, one)
    );
    assert_eq!(documents::count(&app.db, Kind::Customer).await.unwrap(), 0);
    // The mapping may change and the real run start.
    let real = run_to_end(&app, &office, id, "run", &form).await;
    assert_eq!(real.status, JobStatus::Done, "{}", real.error);
    assert_eq!(real.counts.done, i64::try_from(ROWS).unwrap());
    assert_eq!(real.cancel_requested_at, None);
}

backend_tests!(
    a_running_import_is_cancelled_between_batches,
    a_finished_or_unstarted_import_cannot_be_cancelled,
    a_cancelled_dry_run_may_run_again,
);
