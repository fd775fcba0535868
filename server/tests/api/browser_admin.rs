//! Administration in headless Chromium: the admin opens the administration area from the
//! navigation, creates a user (role, department, territory, initial password) through the form,
//! finds them in the filtered user list (screenshot `docs/screenshots/admin-users.png`), and the
//! new user signs in; a rep who types every administration URL gets the 403 page (title and
//! `fetch` status) and sees no administration link.

use fantoccini::Locator;
use fieldcrm_core::DocId;
use fieldcrm_server::db::{departments, users};
use serde_json::json;

use crate::browser::{Session, browser_available, screenshot, wait_for};
use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_creates_a_user_and_reps_get_403_on_administration_in_chromium() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let sales = departments::create(&app.db, "华东销售部 East Sales", None)
        .await
        .unwrap();
    let c = Session::open(&app.address).await;
    let base = c.base.clone();

    // The admin reaches the user list through the navigation.
    c.sign_in("admin", "demo").await;
    c.click("nav-admin").await;
    wait_for(&c, "//*[@id='admin-sections']").await;
    c.click("admin-users").await;
    wait_for(&c, "//table[@id='users']//a[normalize-space(.)='rep.sh']").await;

    // Create a user through the form.
    c.click("new-user").await;
    wait_for(&c, "//form[@id='user-form']").await;
    c.fill("u-username", "li.si").await;
    c.fill("u-display", "李四 Li Si").await;
    let department = c.find(Locator::Id("u-department")).await.unwrap();
    department
        .select_by_value(&sales.id.to_string())
        .await
        .unwrap();
    c.click(&format!("u-territory-{}", app.seed.hangzhou)).await;
    c.fill("u-password", "li-si-password").await;
    c.click("save-user").await;
    wait_for(&c, "//*[@id='user-name'][contains(., '李四 Li Si')]").await;
    wait_for(&c, "//*[@id='user-territories'][contains(., '杭州')]").await;
    wait_for(
        &c,
        "//*[@id='user-department'][contains(., '华东销售部 East Sales')]",
    )
    .await;
    let created = users::get_by_username(&app.db, "li.si")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(created.department_id, Some(sales.id));

    // The list, filtered by the department (htmx swaps the table).
    c.goto(&format!("{base}/admin/users")).await.unwrap();
    wait_for(&c, "//table[@id='users']").await;
    c.find(Locator::Id("f-department"))
        .await
        .unwrap()
        .select_by_value(&sales.id.to_string())
        .await
        .unwrap();
    wait_for(&c, "//span[@id='user-total'][contains(., ': 1')]").await;
    wait_for(&c, "//table[@id='users']//a[normalize-space(.)='li.si']").await;
    assert!(
        c.current_url()
            .await
            .unwrap()
            .as_str()
            .contains("department=")
    );
    c.goto(&format!("{base}/admin/users")).await.unwrap();
    wait_for(&c, "//table[@id='users']//a[normalize-space(.)='li.si']").await;
    screenshot(&c, "admin-users.png").await;
    c.click("logout").await;

    // The new user signs in.
    c.sign_in("li.si", "li-si-password").await;
    wait_for(&c, "//*[@id='current-user'][contains(., '李四 Li Si')]").await;
    c.click("logout").await;

    // A rep: no administration link, and every administration URL answers 403.
    c.sign_in("rep.sh", "demo").await;
    assert!(
        c.find(Locator::Id("nav-admin")).await.is_err(),
        "reps see no administration link"
    );
    let id = DocId::new();
    let mut paths: Vec<String> = crate::web::protected_gets(id)
        .into_iter()
        .filter(|p| p.starts_with("/admin"))
        .collect();
    paths.push(format!("/admin/users/{}", created.id));
    paths.push(format!("/admin/territories/{}", app.seed.shanghai));
    paths.push(format!("/admin/departments/{}", sales.id));
    assert!(paths.len() > 15);
    for path in paths {
        c.goto(&format!("{base}{path}")).await.unwrap();
        wait_for(&c, "//h1[normalize-space(.)='403']").await;
        assert_eq!(c.title().await.unwrap(), "403", "{path}");
        let status = c
            .execute(
                "return fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.status);",
                vec![json!(path)],
            )
            .await
            .unwrap();
        assert_eq!(status, json!(403), "{path}");
    }

    c.close().await;
}
