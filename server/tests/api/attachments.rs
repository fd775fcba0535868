//! Attachments: `PUT`/`HEAD`/`GET /api/v1/attachments/{sha256}` (checks, idempotence, who may
//! read), and the back office's visit card with its photos (`/visits/{id}`,
//! `/attachments/{sha256}`).

use fieldcrm_core::attachment::Sha256Hex;
use fieldcrm_core::document::Kind;
use fieldcrm_core::{DocId, TerritoryId};
use fieldcrm_server::attachments::BlobStore;
use fieldcrm_server::sync::write;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::HeaderMap;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::TestApp;
use crate::web::{send, sign_in};

/// A real 1×1 PNG.
const PNG_HEX: &str = "89504e470d0a1a0a0000000d4948445200000001000000010806000000\
1f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082";

/// A real PNG, made unique by bytes after its end chunk (decoders ignore them).
pub(crate) fn png(tag: &str) -> Vec<u8> {
    let mut b = hex::decode(PNG_HEX).unwrap();
    b.extend_from_slice(tag.as_bytes());
    b
}

pub(crate) struct Raw {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Raw {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

pub(crate) async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Raw {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("host", format!("127.0.0.1:{}", app.port));
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let response = sender
        .send_request(b.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Raw {
        status,
        headers,
        body,
    }
}

pub(crate) async fn put(
    app: &TestApp,
    token: Option<&str>,
    sha: &str,
    ctype: &str,
    body: Vec<u8>,
) -> Raw {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("content-type", ctype)];
    if let Some(b) = &bearer {
        headers.push(("authorization", b.as_str()));
    }
    raw(
        app,
        Method::PUT,
        &format!("/api/v1/attachments/{sha}"),
        &headers,
        body,
    )
    .await
}

async fn get(app: &TestApp, method: Method, token: &str, sha: &str) -> Raw {
    let bearer = format!("Bearer {token}");
    raw(
        app,
        method,
        &format!("/api/v1/attachments/{sha}"),
        &[("authorization", &bearer)],
        Vec::new(),
    )
    .await
}

/// A `PUT` that may lose the race against the server closing the connection after refusing
/// it early (`None` then).
async fn try_put(app: &TestApp, token: &str, sha: &str, body: Vec<u8>) -> Option<Raw> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let request = Request::builder()
        .method(Method::PUT)
        .uri(format!("/api/v1/attachments/{sha}"))
        .header("host", format!("127.0.0.1:{}", app.port))
        .header("content-type", "image/png")
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let response = sender.send_request(request).await.ok()?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .ok()?
        .to_bytes()
        .to_vec();
    Some(Raw {
        status,
        headers,
        body,
    })
}

fn sha(bytes: &[u8]) -> String {
    Sha256Hex::of(bytes).to_string()
}

/// A customer in `territory` with its address geocoded, and a visit to it with the photo `sha`
/// checked in `offset_deg` of latitude away; returns (customer, visit).
async fn visit_with_photo(
    app: &TestApp,
    territory: TerritoryId,
    photo: &str,
    caption: &str,
    offset_deg: f64,
) -> (DocId, DocId) {
    let customer = DocId::new();
    let record = json!({
        "name": "华联超市 Hualian", "code": "T-9", "territory": territory.to_string(),
        "address": { "city": "上海", "geo": { "lat": 31.2304, "lon": 121.4737 } },
    });
    write::server_create(
        &app.db,
        &app.state.hub,
        Kind::Customer,
        customer,
        &record,
        None,
    )
    .await
    .unwrap();
    let visit = DocId::new();
    let rep = app.seed.users["rep.sh"];
    let record = json!({
        "customer": customer.to_string(),
        "rep": rep.to_string(),
        "check_in": { "at": 1_700_000_000_000_i64, "geo": { "lat": 31.2304 + offset_deg, "lon": 121.4737 }, "accuracy_m": 12.0 },
        "check_out": { "at": 1_700_000_900_000_i64 },
        "purpose": "产品演示 demo",
        "outcome": "<script>alert(1)</script>",
        "notes": "\"><img src=x onerror=alert(1)>",
        "next_step": "=cmd|' /C calc'!A0",
        "photos": [{ "sha256": photo, "content_type": "image/png", "taken_at": 1_700_000_100_000_i64, "caption": caption }],
    });
    write::server_create(&app.db, &app.state.hub, Kind::Visit, visit, &record, None)
        .await
        .unwrap();
    (customer, visit)
}

async fn upload_is_stored_and_repeats_are_idempotent(app: TestApp) {
    let rep = app.login("rep.sh", "demo").await;
    let bytes = png("upload");
    let h = sha(&bytes);
    // Not there yet.
    assert_eq!(
        get(&app, Method::HEAD, &rep.access_token, &h).await.status,
        StatusCode::NOT_FOUND
    );
    let r = put(
        &app,
        Some(&rep.access_token),
        &h,
        "image/png",
        bytes.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json());
    assert_eq!(r.json()["sha256"], h.as_str());
    assert_eq!(r.json()["size"], bytes.len());
    let store = BlobStore::new(&app.state.settings.data_dir);
    let path = store.path(&Sha256Hex::parse(&h).unwrap());
    assert!(
        path.ends_with(format!("attachments/{}/{}/{h}", &h[..2], &h[2..4])),
        "{}",
        path.display()
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    let written = std::fs::metadata(&path).unwrap().modified().unwrap();

    let head = get(&app, Method::HEAD, &rep.access_token, &h).await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.headers["content-type"], "image/png");

    // A retry (same user) and another user's upload of the same bytes: 200, nothing rewritten.
    let again = put(
        &app,
        Some(&rep.access_token),
        &h,
        "image/png",
        bytes.clone(),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK);
    let other = app.login("rep.bj", "demo").await;
    let theirs = put(
        &app,
        Some(&other.access_token),
        &h,
        "image/png",
        bytes.clone(),
    )
    .await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        written
    );
    let files = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
    assert_eq!(files, 1, "no temporary file left behind");
    // Both uploaders may read it back.
    for token in [&rep.access_token, &other.access_token] {
        let r = get(&app, Method::GET, token, &h).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, bytes);
    }
}

async fn bad_uploads_are_refused_with_the_right_status(app: TestApp) {
    let rep = app.login("rep.sh", "demo").await;
    let t = Some(rep.access_token.as_str());
    let bytes = png("bad");
    let h = sha(&bytes);

    // The digest of the body is not the path.
    let wrong = sha(b"something else");
    let r = put(&app, t, &wrong, "image/png", bytes.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["code"], "unprocessable");

    // A type that is not allowed, and bytes that are not what the type says.
    let r = put(&app, t, &h, "text/html", bytes.clone()).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = put(&app, t, &h, "image/jpeg", bytes.clone()).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("JPEG")
    );
    let script = b"<script>alert(1)</script>".to_vec();
    let r = put(&app, t, &sha(&script), "image/png", script).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = raw(
        &app,
        Method::PUT,
        &format!("/api/v1/attachments/{h}"),
        &[("authorization", &format!("Bearer {}", rep.access_token))],
        bytes.clone(),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "no content type"
    );

    // Too big: one byte over the default limit of 10 MiB. The server answers from the
    // announced length, before the body is sent (so the client reads the answer instead of
    // racing the server's close while still sending).
    let big_len = 10 * 1024 * 1024 + 1;
    let bearer = format!("Bearer {}", rep.access_token);
    let (status, body) = app
        .announce_only(
            Method::PUT,
            &format!("/api/v1/attachments/{h}"),
            &[("authorization", &bearer), ("content-type", "image/png")],
            big_len,
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("payload_too_large"), "{body}");
    // Sent whole (one byte over, within the announced length): refused the same way.
    let mut big = png("big");
    big.resize(big_len, 0);
    if let Some(r) = try_put(&app, &rep.access_token, &sha(&big), big).await {
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(r.json()["error"]["code"], "payload_too_large");
    }

    // Garbage addresses and an empty body.
    for path in [
        "nothex",
        "../../etc/passwd",
        &"a".repeat(63),
        &"g".repeat(64),
    ] {
        let r = put(&app, t, path, "image/png", bytes.clone()).await;
        assert!(
            r.status == StatusCode::BAD_REQUEST || r.status == StatusCode::NOT_FOUND,
            "{path}: {}",
            r.status
        );
    }
    let r = put(&app, t, &sha(b""), "image/png", Vec::new()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Without a token.
    let r = put(&app, None, &h, "image/png", bytes.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = raw(
        &app,
        Method::GET,
        &format!("/api/v1/attachments/{h}"),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = raw(
        &app,
        Method::HEAD,
        &format!("/api/v1/attachments/{h}"),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Nothing of it was stored.
    assert_eq!(
        get(&app, Method::HEAD, &rep.access_token, &h).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn only_uploaders_and_users_seeing_a_referencing_visit_read_it(app: TestApp) {
    let rep = app.login("rep.sh", "demo").await;
    let bytes = png("scope");
    let h = sha(&bytes);
    let r = put(
        &app,
        Some(&rep.access_token),
        &h,
        "image/png",
        bytes.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);

    // The uploader reads it back byte-identical, with the safe headers.
    let r = get(&app, Method::GET, &rep.access_token, &h).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, bytes);
    assert_eq!(r.headers["content-type"], "image/png");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert_eq!(r.headers["content-disposition"], "inline");
    assert!(
        r.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );

    // No visit references it yet: nobody else may read it, not even an admin.
    let bj = app.login("rep.bj", "demo").await;
    let manager = app.login("manager.east", "demo").await;
    let office = app.login("office", "demo").await;
    for s in [&bj, &manager, &office] {
        assert_eq!(
            get(&app, Method::GET, &s.access_token, &h).await.status,
            StatusCode::NOT_FOUND
        );
    }

    // A Shanghai visit references it: Shanghai's manager and the office read it; Beijing's and
    // Hangzhou's reps still get 404, as if it did not exist.
    visit_with_photo(&app, app.seed.shanghai, &h, "门头照 storefront", 0.0).await;
    for s in [&manager, &office] {
        let r = get(&app, Method::GET, &s.access_token, &h).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, bytes);
    }
    let hz = app.login("rep.hz", "demo").await;
    for s in [&bj, &hz] {
        let r = get(&app, Method::GET, &s.access_token, &h).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(r.body.len() < 200, "no bytes leak in a 404");
    }
    // An address never uploaded.
    let r = get(&app, Method::GET, &office.access_token, &sha(b"never")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn visit_card_shows_the_visit_and_its_photos(app: TestApp) {
    let rep = app.login("rep.sh", "demo").await;
    let bytes = png("card");
    let h = sha(&bytes);
    assert_eq!(
        put(
            &app,
            Some(&rep.access_token),
            &h,
            "image/png",
            bytes.clone()
        )
        .await
        .status,
        StatusCode::CREATED
    );
    let missing = sha(b"not uploaded yet");
    // 0.01° of latitude ≈ 1.11 km: flagged.
    let (customer, visit) =
        visit_with_photo(&app, app.seed.shanghai, &h, "<b>门头</b>", 0.01).await;
    write::server_update(&app.db, &app.state.hub, visit, None, "test", |v| {
        v["photos"].as_array_mut().unwrap().push(
            json!({ "sha256": missing, "content_type": "image/jpeg", "taken_at": 0, "caption": "" }),
        );
        Ok(())
    })
    .await
    .unwrap();

    let office = sign_in(&app, "office").await;
    let card = send(
        &app,
        Method::GET,
        &format!("/visits/{visit}"),
        &office.cookies,
        &[],
        None,
    )
    .await;
    assert_eq!(card.status, StatusCode::OK);
    let html = &card.body;
    assert!(html.contains("华联超市 Hualian"));
    assert!(html.contains(&format!("href=\"/customers/{customer}\"")));
    assert!(html.contains("上海销售 Shanghai Rep"), "rep name shown");
    assert!(html.contains("31.240400, 121.473700"), "check-in point");
    assert!(html.contains("±12 m"), "accuracy");
    assert!(html.contains("1.11 km"), "distance: {html}");
    assert!(html.contains("id=\"visit-far\""), "flagged as far");
    assert!(html.contains(&format!("src=\"/attachments/{h}\"")));
    assert!(html.contains("等待手机上传"), "the photo not uploaded yet");
    assert!(!html.contains(&format!("src=\"/attachments/{missing}\"")));
    // Hostile text renders inert.
    assert!(!html.contains("<script>alert(1)"));
    assert!(!html.contains("<img src=x"));
    assert!(!html.contains("<b>门头</b>"));
    assert!(
        html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"),
        "escaped, still readable"
    );

    // The photo through the session route: byte-identical, safe headers.
    let photo = raw(
        &app,
        Method::GET,
        &format!("/attachments/{h}"),
        &[("cookie", &office.cookies)],
        Vec::new(),
    )
    .await;
    assert_eq!(photo.status, StatusCode::OK);
    assert_eq!(photo.body, bytes);
    assert_eq!(photo.headers["content-type"], "image/png");
    assert_eq!(photo.headers["x-content-type-options"], "nosniff");

    // The visits list and the customer's visits tab link to the card.
    let list = send(&app, Method::GET, "/visits", &office.cookies, &[], None).await;
    assert!(list.body.contains(&format!("href=\"/visits/{visit}\"")));
    let tab = send(
        &app,
        Method::GET,
        &format!("/customers/{customer}?tab=visits"),
        &office.cookies,
        &[],
        None,
    )
    .await;
    assert!(tab.body.contains(&format!("href=\"/visits/{visit}\"")));

    // Outside the scope: the card and the photo do not exist.
    let bj = sign_in(&app, "rep.bj").await;
    let r = send(
        &app,
        Method::GET,
        &format!("/visits/{visit}"),
        &bj.cookies,
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = raw(
        &app,
        Method::GET,
        &format!("/attachments/{h}"),
        &[("cookie", &bj.cookies)],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_ne!(r.body, bytes);
    // A customer id is not a visit.
    let r = send(
        &app,
        Method::GET,
        &format!("/visits/{customer}"),
        &office.cookies,
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

backend_tests!(
    upload_is_stored_and_repeats_are_idempotent,
    bad_uploads_are_refused_with_the_right_status,
    only_uploaders_and_users_seeing_a_referencing_visit_read_it,
    visit_card_shows_the_visit_and_its_photos,
);
