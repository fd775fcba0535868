//! The customer list in headless Chromium: filter (search + tier), save the filter as a
//! favourite, choose and order the columns, apply the favourite, export .xlsx through the UI
//! (downloaded to a temporary directory) and read the file back with calamine. Saves
//! `docs/screenshots/customer-list.png`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use fantoccini::Locator;
use fieldcrm_core::DocId;
use fieldcrm_core::document::Kind;
use fieldcrm_server::demo_data;
use fieldcrm_server::sync::write;
use serde_json::json;

use crate::browser::{Session, browser_available, screenshot, wait_for};
use crate::helpers::spawn_app;

/// Waits for a finished `.xlsx` in `dir`.
async fn downloaded_xlsx(dir: &Path) -> PathBuf {
    let started = Instant::now();
    loop {
        let done = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "xlsx"));
        if let Some(p) = done {
            return p;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no .xlsx downloaded into {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_filters_saves_a_favourite_chooses_columns_and_exports_xlsx_in_chromium() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let s = &app.seed;
    let mut cities = demo_data::cities(s.shanghai, s.hangzhou, s.beijing);
    for (c, rep) in cities.iter_mut().zip(["rep.sh", "rep.hz", "rep.bj"]) {
        c.rep = s.users.get(rep).copied();
    }
    demo_data::seed_customers(&app.db, &app.state.hub, &cities, 20, 2026)
        .await
        .unwrap();
    // Six "浏览器" customers, four of them tier A.
    for (i, tier) in ["A", "A", "B", "A", "C", "A"].iter().enumerate() {
        write::server_create(
            &app.db,
            &app.state.hub,
            Kind::Customer,
            DocId::new(),
            &json!({"name": format!("浏览器客户{i} Browser Co"), "code": format!("C-BR-{i}"),
                    "tier": tier, "phones": ["021-6000 1234"],
                    "territory": s.shanghai.to_string(),
                    "owner": s.users["rep.sh"].to_string()}),
            None,
        )
        .await
        .unwrap();
    }

    let downloads = tempfile::tempdir().unwrap();
    let c = Session::open_with_downloads(&app.address, downloads.path()).await;
    let base = c.base.clone();

    c.sign_in("office", "demo").await;

    // Filter: search, then tier A (htmx swaps the table).
    c.goto(&format!("{base}/customers")).await.unwrap();
    wait_for(&c, "//table[@id='customers']").await;
    c.find(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys("浏览器")
        .await
        .unwrap();
    wait_for(&c, "//span[@id='total'][contains(., ': 6')]").await;
    c.find(Locator::Css("#tier option[value='A']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "//span[@id='total'][contains(., ': 4')]").await;

    // Save it as a favourite.
    c.find(Locator::Id("save-filter-name"))
        .await
        .unwrap()
        .send_keys("浏览器 A级")
        .await
        .unwrap();
    c.click("save-filter-submit").await;
    wait_for(
        &c,
        "//a[@class='saved-link'][normalize-space(.)='浏览器 A级']",
    )
    .await;
    wait_for(&c, "//span[@id='total'][contains(., ': 4')]").await;

    // Choose columns: owner first, no phone.
    c.click("choose-columns").await;
    wait_for(&c, "//form[@id='columns-form']").await;
    c.click("col-phone").await;
    c.click("col-owner").await;
    let pos = c.find(Locator::Id("pos-owner")).await.unwrap();
    pos.clear().await.unwrap();
    pos.send_keys("0").await.unwrap();
    c.click("save-columns").await;
    wait_for(
        &c,
        "//table[@id='customers']//th[2][contains(@class, 'col-owner')]",
    )
    .await;
    assert!(
        c.find(Locator::Css("th.col-phone")).await.is_err(),
        "the phone column is hidden"
    );

    // Apply the favourite.
    c.find(Locator::Css("a.saved-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "//span[@id='total'][contains(., ': 4')]").await;
    wait_for(
        &c,
        "//table[@id='customers']//td[contains(@class, 'col-owner')][contains(., 'Shanghai Rep')]",
    )
    .await;
    let url = c.current_url().await.unwrap();
    assert!(url.as_str().contains("tier=A"), "{url}");
    screenshot(&c, "customer-list.png").await;

    // Export .xlsx through the UI and read it back.
    c.click("export-xlsx").await;
    let file = downloaded_xlsx(downloads.path()).await;
    let bytes = std::fs::read(&file).unwrap();
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let cells: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(cells.len(), 5, "{cells:?}");
    assert_eq!(cells[0][0], "负责人");
    assert_eq!(cells[0][1..3], ["编码", "名称"]);
    assert!(!cells[0].iter().any(|h| h == "电话"));
    for r in &cells[1..] {
        assert!(r[2].contains("Browser Co"), "{r:?}");
        assert!(r[0].contains("Shanghai Rep"), "{r:?}");
    }

    c.close().await;
}
