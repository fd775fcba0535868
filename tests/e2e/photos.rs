//! Photos end to end: a rep's offline client records a visit with a photo, syncs (the visit is
//! pushed, the photo uploaded), and the back office's visit card shows it, served byte-identical
//! through the session route; another territory's rep can neither open the card nor the photo.

use fieldcrm_core::client::FieldClient;
use fieldcrm_core::domain::{CheckPoint, GeoPoint, Visit};
use fieldcrm_core::{DocId, VisitId};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{Backend, PASSWORD, TestServer};
use crate::web::{http, sign_in};

/// A real 1×1 PNG, unique by bytes after its end chunk.
fn png(tag: &str) -> Vec<u8> {
    let hex = "89504e470d0a1a0a0000000d4948445200000001000000010806000000\
               1f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082";
    let mut b: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    b.extend_from_slice(tag.as_bytes());
    b
}

/// `GET path` with cookies: status, raw head, body bytes (`Connection: close`).
async fn get_bytes(server: &TestServer, path: &str, cookies: &str) -> (u16, String, Vec<u8>) {
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nCookie: {cookies}\r\n\r\n",
        server.addr
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, raw[split + 4..].to_vec())
}

async fn offline_photo_reaches_the_visit_card(backend: Backend) {
    let Some(server) = TestServer::start(backend, 2).await else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let phone = FieldClient::open(home.path()).await.unwrap();
    phone
        .login(&server.url, "rep.sh", PASSWORD, "rep.sh phone")
        .await
        .unwrap();
    phone.sync_once().await.unwrap();
    let customer = phone.list_customers(None, 1, 0).await.unwrap()[0].clone();

    // Offline: check in, take a photo, check out. Nothing leaves the device yet.
    let visit: VisitId = phone
        .create_visit(Visit {
            customer: Some(customer.id),
            check_in: Some(CheckPoint {
                at: chrono_now(),
                geo: Some(GeoPoint {
                    lat: 31.2304,
                    lon: 121.4737,
                }),
                accuracy_m: Some(9.0),
            }),
            purpose: "新品陈列 display".into(),
            ..Visit::default()
        })
        .await
        .unwrap();
    let photo = png("e2e");
    let sha = phone
        .add_visit_photo(visit, &photo, "image/png", "货架 shelf", chrono_now())
        .await
        .unwrap();
    phone
        .edit_visit(visit, |v| {
            v.outcome = "下单 ordered".into();
            v.check_out = v.check_in.clone();
        })
        .await
        .unwrap();
    assert_eq!(phone.pending_uploads().await.unwrap(), 1);
    let card_path = format!("/visits/{}", DocId::from(visit));
    let (office, _) = sign_in(&server, "office").await;
    let (status, _, _) = http(&server, "GET", &card_path, &office, None).await;
    assert_eq!(status, 404, "the server has not seen the visit yet");

    // Sync: the visit is pushed, then the photo uploaded.
    let report = phone.sync_once().await.unwrap();
    assert_eq!((report.accepted, report.rejected), (1, 0), "{report:?}");
    assert_eq!(
        (report.uploaded, report.upload_failed),
        (1, 0),
        "{report:?}"
    );
    assert_eq!(phone.pending_uploads().await.unwrap(), 0);

    // The office sees the card with the photo, and the photo itself byte-identical.
    let (status, _, card) = http(&server, "GET", &card_path, &office, None).await;
    assert_eq!(status, 200);
    assert!(card.contains(&customer.name), "{card}");
    assert!(card.contains("上海销售 Shanghai Rep"), "the rep");
    assert!(card.contains("下单 ordered"));
    assert!(card.contains("货架 shelf"));
    assert!(
        card.contains(&format!("src=\"/attachments/{sha}\"")),
        "{card}"
    );
    let (status, head, bytes) = get_bytes(&server, &format!("/attachments/{sha}"), &office).await;
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: image/png"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("x-content-type-options: nosniff")
    );
    assert_eq!(bytes, photo);

    // Beijing's rep may open neither.
    let (bj, _) = sign_in(&server, "rep.bj").await;
    let (status, _, _) = http(&server, "GET", &card_path, &bj, None).await;
    assert_eq!(status, 404);
    let (status, _, bytes) = get_bytes(&server, &format!("/attachments/{sha}"), &bj).await;
    assert_eq!(status, 404);
    assert_ne!(bytes, photo);
    server.stop().await;
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap())
        .unwrap()
}

on_both_backends!(offline_photo_reaches_the_visit_card);
