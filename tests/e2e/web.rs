//! The web back office with a real offline field client: a customer created in the back office
//! arrives on the rep's device; the device's edit shows in the card's history with the rep, the
//! device and old → new; the office's edit reaches the device.

use fieldcrm_core::client::FieldClient;
use fieldcrm_core::{CustomerId, DocId};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{Backend, PASSWORD, TestServer};

/// A minimal HTTP/1.1 exchange (`Connection: close`): status, raw headers, body.
pub(crate) async fn http(
    server: &TestServer,
    method: &str,
    path: &str,
    cookies: &str,
    form: Option<&[(&str, &str)]>,
) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let body = form
        .map(|f| {
            f.iter()
                .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
                .collect::<Vec<_>>()
                .join("&")
        })
        .unwrap_or_default();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        server.addr,
        body.len()
    );
    if !cookies.is_empty() {
        req.push_str(&format!("Cookie: {cookies}\r\n"));
    }
    if form.is_some() {
        req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
    }
    req.push_str("\r\n");
    req.push_str(&body);
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    // The back office's pages are small: no chunked decoding needed beyond stripping sizes.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, head.to_owned(), body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) fn header<'a>(head: &'a str, name: &str, prefix: &str) -> Option<&'a str> {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .find(|v| v.starts_with(prefix))
}

fn csrf(body: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let at = body.find(marker).unwrap() + marker.len();
    body[at..at + 64].to_owned()
}

/// Signs `user` in to the back office: (cookie header, CSRF token).
pub(crate) async fn sign_in(server: &TestServer, user: &str) -> (String, String) {
    let (_, head, _) = http(server, "GET", "/login", "", None).await;
    let login_cookie = header(&head, "set-cookie", "fieldcrm_login_csrf=")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = login_cookie
        .trim_start_matches("fieldcrm_login_csrf=")
        .to_owned();
    let (status, head, _) = http(
        server,
        "POST",
        "/login",
        &login_cookie,
        Some(&[
            ("username", user),
            ("password", PASSWORD),
            ("_csrf", &token),
        ]),
    )
    .await;
    assert_eq!(status, 303);
    let session = header(&head, "set-cookie", "fieldcrm_session=")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let (status, _, body) = http(server, "GET", "/", &session, None).await;
    assert_eq!(status, 200);
    (session, csrf(&body))
}

async fn back_office_and_field_client_meet(backend: Backend) {
    let Some(server) = TestServer::start(backend, 2).await else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let phone = FieldClient::open(home.path()).await.unwrap();
    phone
        .login(&server.url, "rep.sh", PASSWORD, "rep.sh 的手机")
        .await
        .unwrap();
    phone.sync_once().await.unwrap();

    // The office creates a customer in 上海.
    let (cookies, token) = sign_in(&server, "office").await;
    let sh = server.org.shanghai.to_string();
    let fields = |tier: &'static str, notes: &'static str| {
        vec![
            ("name", "网页新客户 Web Co"),
            ("code", "C-WEB-9"),
            ("tier", tier),
            ("notes", notes),
            ("territory", sh.as_str()),
            ("_csrf", token.as_str()),
        ]
    };
    let (status, head, _) = http(
        &server,
        "POST",
        "/customers",
        &cookies,
        Some(&fields("B", "")),
    )
    .await;
    assert_eq!(status, 303);
    let location = header(&head, "location", "/customers/").unwrap();
    let id: CustomerId = DocId::parse(location.trim_start_matches("/customers/"))
        .unwrap()
        .into();

    // It arrives on the rep's phone.
    phone.sync_once().await.unwrap();
    let found = phone.list_customers(Some("Web Co"), 10, 0).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, id);

    // The phone edits it; the card's history names the rep, the device and the change.
    phone
        .edit_customer(id, |c| c.notes = "门店改造 renovation".into())
        .await
        .unwrap();
    let report = phone.sync_once().await.unwrap();
    assert_eq!(report.rejected, 0);
    let (status, _, card) = http(
        &server,
        "GET",
        &format!("/customers/{}?tab=history", DocId::from(id)),
        &cookies,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let latest = card.split("class=\"history-entry\"").nth(1).unwrap();
    assert!(latest.contains("上海销售 Shanghai Rep"), "{latest}");
    assert!(latest.contains("rep.sh 的手机"), "{latest}");
    assert!(latest.contains("门店改造 renovation"), "{latest}");
    assert!(card.contains("内勤 Office"), "the creation is the office's");

    // The office edits the tier; the phone receives it and keeps its own note.
    let (status, _, _) = http(
        &server,
        "POST",
        &format!("/customers/{}", DocId::from(id)),
        &cookies,
        Some(&fields("A", "门店改造 renovation")),
    )
    .await;
    assert_eq!(status, 303);
    phone.sync_once().await.unwrap();
    let c = phone.get_customer(id).await.unwrap();
    assert_eq!(c.tier, "A");
    assert_eq!(c.notes, "门店改造 renovation");
    server.stop().await;
}

on_both_backends!(back_office_and_field_client_meet);
