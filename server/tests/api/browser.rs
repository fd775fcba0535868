//! The back office in headless Chromium (Debian's `chromium` + `chromedriver`, driven over
//! WebDriver with fantoccini): sign in as `office`, switch to English and back, search the
//! customer list, open a card, edit a field and find the change in the history tab. Saves
//! screenshots of the dashboard, the customer list and the card's history to `docs/screenshots/`.
//!
//! Without Chromium (see `scripts/ensure-browser.sh`) the test prints a loud SKIPPED, and fails
//! when `CI` is set.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use fieldcrm_core::DocId;
use fieldcrm_core::document::Kind;
use fieldcrm_server::demo_data;
use fieldcrm_server::sync::write;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::spawn_app;

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub(crate) const WAIT: Duration = Duration::from_secs(15);

pub(crate) fn screenshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots")
}

/// Starts chromedriver on a free port; returns the child and its URL once it says it listens.
pub(crate) async fn start_chromedriver() -> (tokio::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start chromedriver");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    tokio::time::timeout(WAIT, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("started successfully") {
                return;
            }
        }
        panic!("chromedriver exited before it was ready");
    })
    .await
    .expect("chromedriver ready");
    // Keep draining its output so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, format!("http://127.0.0.1:{port}"))
}

/// A WebDriver session with headless Chromium using `profile`; downloads, if `downloads` is
/// given, go there without asking.
pub(crate) async fn browser(webdriver: &str, profile: &Path, downloads: Option<&Path>) -> Client {
    let mut options = json!({
        "binary": CHROMIUM,
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--no-first-run", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--window-size=1440,900",
            format!("--user-data-dir={}", profile.display()),
        ]
    });
    if let Some(dir) = downloads {
        options["prefs"] = json!({
            "download.default_directory": dir.display().to_string(),
            "download.prompt_for_download": false,
            "download.directory_upgrade": true,
            "safebrowsing.enabled": false,
        });
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(webdriver)
        .await
        .expect("WebDriver session")
}

pub(crate) async fn wait_for(c: &Client, xpath: &str) -> fantoccini::elements::Element {
    match c
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(xpath))
        .await
    {
        Ok(e) => e,
        Err(e) => {
            let source = c.source().await.unwrap_or_default();
            panic!("waiting for {xpath}: {e}\n--- page ---\n{source}");
        }
    }
}

pub(crate) async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    let dir = screenshots_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

/// One headless Chromium session of a test: chromedriver, the WebDriver client (reached through
/// `Deref`, so `wait_for(&session, …)` and `session.goto(…)` work) and its throw-away profile.
///
/// Its `fill` and `click` wait for the element first: after a click the next page or an htmx
/// swap may not be there yet, and an element found just before a swap goes stale, so a click
/// that fails is retried on the element found again.
pub(crate) struct Session {
    client: Client,
    pub(crate) base: String,
    driver: tokio::process::Child,
    _profile: tempfile::TempDir,
}

impl std::ops::Deref for Session {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Session {
    /// Starts chromedriver and a headless Chromium for the app at `base`.
    pub(crate) async fn open(base: &str) -> Self {
        Self::start(base, None).await
    }

    /// Like [`Session::open`], with downloads saved to `dir` without asking.
    pub(crate) async fn open_with_downloads(base: &str, dir: &Path) -> Self {
        Self::start(base, Some(dir)).await
    }

    async fn start(base: &str, downloads: Option<&Path>) -> Self {
        let (driver, webdriver) = start_chromedriver().await;
        let profile = tempfile::tempdir().unwrap();
        let client = browser(&webdriver, profile.path(), downloads).await;
        Session {
            client,
            base: base.to_owned(),
            driver,
            _profile: profile,
        }
    }

    /// Opens `path` (from the app's root).
    pub(crate) async fn open_page(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// Signs in through the login form and waits for the dashboard.
    pub(crate) async fn sign_in(&self, username: &str, password: &str) {
        self.open_page("/login").await;
        self.fill("username", username).await;
        self.fill("password", password).await;
        self.click("login-submit").await;
        wait_for(self, "//*[@id='fig-customers']").await;
    }

    /// Replaces the text of the input with this id.
    pub(crate) async fn fill(&self, id: &str, text: &str) {
        let e = wait_for(self, &format!("//*[@id='{id}']")).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// Clicks the element with this id.
    pub(crate) async fn click(&self, id: &str) {
        self.click_xpath(&format!("//*[@id='{id}']")).await;
    }

    /// Clicks the element at `xpath`, finding it again while a page change makes it go stale.
    pub(crate) async fn click_xpath(&self, xpath: &str) {
        let mut attempts = 0;
        loop {
            let e = wait_for(self, xpath).await;
            match e.click().await {
                Ok(()) => return,
                Err(_) if attempts < 20 => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(err) => panic!("clicking {xpath}: {err}"),
            }
        }
    }

    /// Ends the browser session and chromedriver.
    pub(crate) async fn close(mut self) {
        self.client.clone().close().await.unwrap();
        let _ = self.driver.kill().await;
    }
}

/// Whether Chromium and ChromeDriver are installed. Without them a browser test prints a loud
/// SKIPPED and returns — and fails when `CI` is set, so CI never passes without the browser.
pub(crate) fn browser_available() -> bool {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return true;
    }
    let msg = "SKIPPED: browser test — /usr/bin/chromium or /usr/bin/chromedriver missing \
               (run scripts/ensure-browser.sh)";
    eprintln!(
        "\n{}\n!!! {msg} !!!\n{}\n",
        "!".repeat(100),
        "!".repeat(100)
    );
    assert!(std::env::var_os("CI").is_none(), "{msg}");
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_signs_in_searches_edits_and_sees_history_in_chromium() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let s = &app.seed;
    let mut cities = demo_data::cities(s.shanghai, s.hangzhou, s.beijing);
    for (c, rep) in cities.iter_mut().zip(["rep.sh", "rep.hz", "rep.bj"]) {
        c.rep = s.users.get(rep).copied();
    }
    demo_data::seed_customers(&app.db, &app.state.hub, &cities, 25, 2026)
        .await
        .unwrap();
    let id = DocId::new();
    write::server_create(
        &app.db,
        &app.state.hub,
        Kind::Customer,
        id,
        &json!({"name": "浏览器测试客户 Browser Co", "code": "C-BROWSER-1", "tier": "B",
                "phones": ["021-6000 1234"], "territory": s.shanghai.to_string(),
                "owner": s.users["rep.sh"].to_string()}),
        s.users.get("rep.sh").copied(),
    )
    .await
    .unwrap();

    let c = Session::open(&app.address).await;

    // Sign in.
    c.sign_in("office", "demo").await;
    wait_for(&c, "//a[@id='nav-dashboard'][normalize-space(.)='概览']").await;

    // English and back.
    c.click("lang-switch").await;
    wait_for(
        &c,
        "//a[@id='nav-dashboard'][normalize-space(.)='Dashboard']",
    )
    .await;
    wait_for(&c, "//*[@id='current-user'][contains(., 'Office')]").await;
    c.click("lang-switch").await;
    wait_for(&c, "//a[@id='nav-dashboard'][normalize-space(.)='概览']").await;
    screenshot(&c, "dashboard.png").await;

    // The customer list, then a search (htmx replaces only the table).
    c.click("nav-customers").await;
    wait_for(&c, "//table[@id='customers']").await;
    screenshot(&c, "customers.png").await;
    c.find(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys("browser")
        .await
        .unwrap();
    wait_for(&c, "//span[@id='total'][contains(., ': 1')]").await;
    let link = wait_for(&c, "//table[@id='customers']//a[contains(., 'Browser Co')]").await;
    assert!(
        c.current_url()
            .await
            .unwrap()
            .as_str()
            .contains("q=browser")
    );

    // The card; edit the tier.
    link.click().await.unwrap();
    wait_for(&c, "//*[@id='customer-name'][contains(., 'Browser Co')]").await;
    c.click("edit-customer").await;
    // The tier is a select of the dictionary's tiers.
    let tier = wait_for(&c, "//select[@id='f-tier']").await;
    tier.select_by_value("A").await.unwrap();
    c.click("save-customer").await;
    wait_for(&c, "//*[@id='customer-name'][contains(., 'Browser Co')]").await;
    assert_eq!(write::load_record(&app.db, id).await.unwrap()["tier"], "A");

    // The history tab (htmx) lists the change, by the office user.
    c.click("tab-history").await;
    wait_for(
        &c,
        "//table[@id='history']//div[@class='change'][span[@class='old']='B'][span[@class='new']='A']",
    )
    .await;
    wait_for(&c, "//table[@id='history']//td[contains(., '内勤 Office')]").await;
    screenshot(&c, "customer-history.png").await;

    c.close().await;
}
