//! Cancelling a running import in headless Chromium. The file (four batches) is uploaded and its
//! run started over HTTP as `office`; the application's `BatchGate` holds the run after two
//! batches (no timing luck). In Chromium the same user opens the job page, clicks the cancel
//! button (htmx posts `/import/{id}/cancel` and swaps the status block: "stopping after the
//! current batch"), the gate is released, and the page — polling while the job runs — shows the
//! cancelled status and "N rows imported before cancel" with N the rows of those two batches.
//! Runs on SQLite (the browser tests' database); the cancel itself is covered on both databases
//! by `import_cancel.rs`.

use std::time::Duration;

use fieldcrm_core::document::Kind;
use fieldcrm_server::db::documents;
use fieldcrm_server::db::imports::{self, JobId, JobStatus};
use fieldcrm_server::import::run::BATCH;
use hyper::StatusCode;

use crate::browser::{Session, browser_available, wait_for};
use crate::helpers::{TestApp, spawn_app};
use crate::import::{mapping_form, post_form, upload_ok};

/// Rows of the file: four batches.
const ROWS: usize = 4 * BATCH;

async fn job(app: &TestApp, id: JobId) -> imports::Job {
    imports::get(&app.db, id).await.unwrap().unwrap()
}

/// Waits until the job satisfies `done` (the run is a background task).
async fn wait_until(app: &TestApp, id: JobId, what: &str, done: impl Fn(&imports::Job) -> bool) {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_cancels_a_running_import_in_chromium() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let mut file = String::from("编码,名称,区域\n");
    for i in 0..ROWS {
        file.push_str(&format!("BC-{i},浏览器取消客户{i},上海\n"));
    }
    let office = crate::web::sign_in(&app, "office").await;
    let id = upload_ok(&app, &office, "cancel.csv", file.as_bytes()).await;
    let form = mapping_form(&app, id, "code", "skip", "").await;
    // Hold the run after two batches.
    let permits = app.state.import_gate.close();
    permits.add_permits(2);
    let r = post_form(&app, &office, &format!("/import/{id}/run"), &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let two = i64::try_from(2 * BATCH).unwrap();
    wait_until(&app, id, "two batches", |j| j.counts.done == two).await;

    let c = Session::open(&app.address).await;
    c.sign_in("office", "demo").await;
    c.open_page(&format!("/import/{id}")).await;
    wait_for(&c, "//span[@id='job-status'][normalize-space(.)='导入中']").await;
    wait_for(
        &c,
        &format!("//*[@id='rows-done'][contains(., '{two} / {ROWS}')]"),
    )
    .await;
    c.click("cancel-import").await;
    // The swapped status block: stopping after the current batch, no cancel button any more.
    wait_for(&c, "//*[@id='cancelling']").await;
    assert!(
        c.find(fantoccini::Locator::Id("cancel-import"))
            .await
            .is_err(),
        "the cancel button is gone"
    );
    let j = job(&app, id).await;
    assert_eq!(j.status, JobStatus::Running);
    assert_eq!(j.cancel_requested_by, Some(app.seed.users["office"]));

    // Let the run go on: it stops before its third batch; the polling page shows the end.
    permits.add_permits(ROWS);
    wait_until(&app, id, "cancelled", |j| j.status != JobStatus::Running).await;
    let j = job(&app, id).await;
    assert_eq!(j.status, JobStatus::Cancelled, "{}", j.error);
    assert_eq!(
        (j.counts.done, j.counts.created, j.counts.updated),
        (two, two, 0)
    );
    assert_eq!(
        documents::count(&app.db, Kind::Customer).await.unwrap(),
        two
    );
    wait_for(&c, "//span[@id='job-status'][normalize-space(.)='已取消']").await;
    wait_for(
        &c,
        &format!("//p[@id='cancelled-note'][contains(., '取消前已导入 {two} 行')]"),
    )
    .await;
    wait_for(
        &c,
        &format!("//*[@id='count-created'][normalize-space(.)='{two}']"),
    )
    .await;
    assert!(
        c.find(fantoccini::Locator::Id("cancel-import"))
            .await
            .is_err()
    );
    c.close().await;
}
