//! The import in headless Chromium: sign in as `office`, upload a small `.xlsx` with one bad row
//! through the file input, check the suggested mapping, preview (the bad cell is marked), dry
//! run, import, then download the error report through the browser's session and read it back.
//! Saves `docs/screenshots/import-preview.png`.

use base64::Engine;
use calamine::{Data, Reader};
use fieldcrm_server::db::documents;
use fieldcrm_server::db::imports::{self, JobStatus};

use crate::browser::{Session, browser_available, screenshot, wait_for};
use crate::helpers::spawn_app;
use crate::import::xlsx;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_imports_an_xlsx_with_a_bad_row_in_chromium() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("客户导入.xlsx");
    std::fs::write(
        &path,
        xlsx(&[
            vec![
                "客户编码",
                "客户名称",
                "手机",
                "邮箱",
                "区域",
                "联系人",
                "职务",
            ],
            vec![
                "BR-1",
                "浏览器导入甲 Alpha",
                "13800138001",
                "alpha@example.cn",
                "上海",
                "王五",
                "总经理",
            ],
            vec![
                "BR-2",
                "浏览器导入乙 Beta",
                "0571-8888 0002",
                "not-an-email",
                "杭州",
                "",
                "",
            ],
            vec![
                "BR-3",
                "浏览器导入丙 Gamma",
                "010-6666 0003",
                "",
                "北京",
                "赵六",
                "采购",
            ],
        ]),
    )
    .unwrap();

    let c = Session::open(&app.address).await;

    c.sign_in("office", "demo").await;
    wait_for(&c, "//a[@id='nav-import']")
        .await
        .click()
        .await
        .unwrap();

    // Upload through the file input; htmx posts it and the browser lands on the job.
    wait_for(&c, "//input[@id='import-file']")
        .await
        .send_keys(&path.display().to_string())
        .await
        .unwrap();
    c.click("upload-submit").await;
    wait_for(&c, "//*[@id='job-file'][contains(., '客户导入.xlsx')]").await;
    wait_for(&c, "//*[@id='total-rows'][normalize-space(.)='3']").await;
    // Suggested from the headers.
    wait_for(&c, "//select[@id='col-1']/option[@value='name'][@selected]").await;
    wait_for(
        &c,
        "//select[@id='col-6']/option[@value='contact_title'][@selected]",
    )
    .await;

    // Preview: the bad e-mail is marked on its cell, the row will be rejected.
    c.click("preview-button").await;
    wait_for(
        &c,
        "//table[@id='preview-table']//tr[@data-row='4'][@class='row-reject']",
    )
    .await;
    wait_for(
        &c,
        "//tr[@data-row='4']/td[@class='invalid'][contains(., 'not-an-email')]/div[@class='cell-error']",
    )
    .await;
    wait_for(&c, "//tr[@data-row='3'][@class='row-create']").await;
    c.execute(
        "document.getElementById('preview-table').scrollIntoView({block: 'end'})",
        vec![],
    )
    .await
    .unwrap();
    screenshot(&c, "import-preview.png").await;

    // Dry run: counts, nothing written.
    let before = documents::count(&app.db, fieldcrm_core::document::Kind::Customer)
        .await
        .unwrap();
    c.click("dry-run-button").await;
    wait_for(&c, "//div[@id='import-status'][@data-status='checked']").await;
    wait_for(&c, "//*[@id='count-created'][normalize-space(.)='2']").await;
    wait_for(&c, "//*[@id='count-rejected'][normalize-space(.)='1']").await;
    assert_eq!(
        documents::count(&app.db, fieldcrm_core::document::Kind::Customer)
            .await
            .unwrap(),
        before
    );

    // The real import, polled to the end.
    c.click("run-button").await;
    wait_for(&c, "//div[@id='import-status'][@data-status='done']").await;
    wait_for(&c, "//*[@id='count-created'][normalize-space(.)='2']").await;
    let link = wait_for(&c, "//a[@id='errors-xlsx']").await;
    let href = link.attr("href").await.unwrap().unwrap();
    let job = imports::list(&app.db, None, 1).await.unwrap().remove(0);
    assert_eq!(
        (job.status, job.counts.created, job.counts.rejected),
        (JobStatus::Done, 2, 1)
    );
    assert!(
        documents::find_customer(&app.db, "BR-1")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        documents::find_customer(&app.db, "BR-2")
            .await
            .unwrap()
            .is_none()
    );

    // Download the report with the browser's session and read it back.
    let script = "const done = arguments[arguments.length - 1];\
        fetch(arguments[0], {credentials: 'same-origin'})\
          .then(r => r.ok ? r.arrayBuffer() : Promise.reject(r.status))\
          .then(b => { const u = new Uint8Array(b); let s = '';\
                       for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]);\
                       done(btoa(s)); })\
          .catch(e => done('ERROR ' + e));";
    let answer = c
        .execute_async(script, vec![serde_json::json!(href)])
        .await
        .unwrap();
    let b64 = answer.as_str().unwrap();
    assert!(!b64.starts_with("ERROR"), "{b64}");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][0], Data::Float(4.0));
    let reason = rows[1][1].to_string();
    assert!(
        reason.contains("邮箱") && reason.contains("not-an-email"),
        "{reason}"
    );
    assert_eq!(rows[1][2], Data::String("BR-2".into()));

    c.close().await;
}
