//! The sync endpoint against hostile or broken clients: tokens, frames, versions, authors.
//! Each is refused with a clear error, the connection closed where needed, nothing stored.

use fieldcrm_core::document::{self, Kind};
use fieldcrm_core::domain::Customer;
use fieldcrm_core::protocol::{ClientMessage, ErrorCode, RejectCode, ServerMessage, Verdict};
use fieldcrm_core::sync::client::pending_changes;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::harness::{Backend, TEST_SECRET, TestServer};
use crate::raw::{self, Got};

fn mint(claims: serde_json::Value, alg: Algorithm, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("mint")
}

fn error_code(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    v["error"]["code"].as_str().unwrap_or_default().to_owned()
}

async fn bad_tokens_are_refused_before_upgrade(backend: Backend) {
    let Some(server) = TestServer::start(backend, 2).await else {
        return;
    };
    let good = raw::login(&server, "rep.sh").await;
    let now = chrono_now();
    let claims = |exp: i64| json!({"sub": good.user, "dev": good.device, "role": "rep", "iat": now - 10, "exp": exp, "typ": "access"});

    let (status, body) = raw::connect(&server, None)
        .await
        .err()
        .expect("no token refused");
    assert_eq!((status, error_code(&body).as_str()), (401, "unauthorized"));
    let (status, _) = raw::connect(&server, Some("not.a.jwt"))
        .await
        .err()
        .expect("garbage refused");
    assert_eq!(status, 401);
    let expired = mint(claims(now - 3600), Algorithm::HS256, TEST_SECRET);
    let (status, body) = raw::connect(&server, Some(&expired))
        .await
        .err()
        .expect("expired refused");
    assert_eq!((status, error_code(&body).as_str()), (401, "token_expired"));
    let forged = mint(
        claims(now + 600),
        Algorithm::HS256,
        "some-other-secret-entirely-000000",
    );
    assert_eq!(
        raw::connect(&server, Some(&forged))
            .await
            .err()
            .expect("forged")
            .0,
        401
    );
    let hs512 = mint(claims(now + 600), Algorithm::HS512, TEST_SECRET);
    assert_eq!(
        raw::connect(&server, Some(&hs512))
            .await
            .err()
            .expect("hs512")
            .0,
        401
    );
    // alg "none": header and payload, empty signature.
    use base64_like::encode as b64;
    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims(now + 600).to_string().as_bytes())
    );
    assert_eq!(
        raw::connect(&server, Some(&none))
            .await
            .err()
            .expect("alg none")
            .0,
        401
    );
    // A well-formed token of a revoked device.
    fieldcrm_server::db::devices::revoke(&server.state.db, good.device)
        .await
        .expect("revoke");
    assert_eq!(
        raw::connect(&server, Some(&good.access))
            .await
            .err()
            .expect("revoked")
            .0,
        401
    );
    server.stop().await;
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Minimal unpadded base64url, enough to build an `alg: none` token by hand.
mod base64_like {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    pub fn encode(input: &[u8]) -> String {
        let mut out = String::new();
        for chunk in input.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}

async fn bad_frames_close_the_connection(backend: Backend) {
    let Some(server) = TestServer::start_with(backend, 1, |s| s.max_frame_bytes = 64 * 1024).await
    else {
        return;
    };
    let login = raw::login(&server, "rep.sh").await;
    let before = fieldcrm_server::db::documents::current_seq(&server.state.db)
        .await
        .unwrap();

    // Unknown protocol version.
    let mut ws = raw::connect(&server, Some(&login.access))
        .await
        .ok()
        .unwrap();
    ws.send(&ClientMessage::Hello {
        version: 99,
        cursor: 0,
        client: "future".into(),
    })
    .await;
    assert_eq!(
        ws.until_error().await,
        (Some(ErrorCode::UnsupportedVersion), Some(1002))
    );

    // Garbage binary frame.
    let mut ws = raw::connect(&server, Some(&login.access))
        .await
        .ok()
        .unwrap();
    ws.send_frame(Message::Binary(vec![0xc1, 0xff, 0x00, 0x13].into()))
        .await;
    assert_eq!(
        ws.until_error().await,
        (Some(ErrorCode::BadFrame), Some(1002))
    );

    // A text frame.
    let mut ws = raw::connect(&server, Some(&login.access))
        .await
        .ok()
        .unwrap();
    ws.send_frame(Message::Text("{\"t\":\"hello\"}".into()))
        .await;
    assert_eq!(
        ws.until_error().await,
        (Some(ErrorCode::BadFrame), Some(1003))
    );

    // A push before hello.
    let mut ws = raw::connect(&server, Some(&login.access))
        .await
        .ok()
        .unwrap();
    ws.send(&ClientMessage::Ping { nonce: 1 }).await;
    assert_eq!(ws.until_error().await.0, Some(ErrorCode::ProtocolViolation));

    // An oversized frame (limit 64 KiB): closed with "too big", never processed.
    let mut ws = raw::connect(&server, Some(&login.access))
        .await
        .ok()
        .unwrap();
    ws.hello(0).await;
    let _ = ws.until_caught_up().await;
    let huge = ClientMessage::Push {
        push_id: 1,
        doc: fieldcrm_core::DocId::new(),
        kind: Kind::Customer,
        changes: vec![serde_bytes::ByteBuf::from(vec![7u8; 200 * 1024])],
    };
    ws.send(&huge).await;
    let (code, close) = ws.until_error().await;
    assert!(
        code == Some(ErrorCode::FrameTooLarge) || close == Some(1009) || close.is_none(),
        "{code:?} {close:?}"
    );

    let after = fieldcrm_server::db::documents::current_seq(&server.state.db)
        .await
        .unwrap();
    assert_eq!(before, after, "nothing was stored");
    server.stop().await;
}

async fn forged_author_is_rejected_and_nothing_stored(backend: Backend) {
    let Some(server) = TestServer::start(backend, 2).await else {
        return;
    };
    let login = raw::login(&server, "rep.sh").await;
    let mut ws = raw::connect(&server, Some(&login.access))
        .await
        .ok()
        .unwrap();
    ws.hello(0).await;
    let (docs, _, _, _) = ws.until_caught_up().await;
    let target = docs
        .iter()
        .find(|d| d.kind == Kind::Customer)
        .expect("a customer");
    let mut doc = automerge::Automerge::load(&target.data).unwrap();
    let synced = doc.get_heads();
    // Edit as somebody else (rep.bj's author tag) on rep.sh's connection.
    let impostor = server.user("rep.bj");
    let mut c: Customer = document::hydrate(&doc).unwrap();
    c.notes = "forged".into();
    document::write_json(
        Kind::Customer,
        &mut doc,
        &serde_json::to_value(&c).unwrap(),
        document::author_for(impostor),
        "forge",
    )
    .unwrap();
    let changes = pending_changes(&doc, &synced);
    ws.send(&ClientMessage::Push {
        push_id: 1,
        doc: target.doc,
        kind: Kind::Customer,
        changes: changes
            .into_iter()
            .map(serde_bytes::ByteBuf::from)
            .collect(),
    })
    .await;
    let verdict = loop {
        match ws.recv().await {
            Got::Msg(ServerMessage::PushResult { verdict, .. }) => break verdict,
            Got::Msg(_) => {}
            Got::Closed(c) => panic!("closed {c:?}"),
        }
    };
    assert!(
        matches!(
            verdict,
            Verdict::Rejected {
                code: RejectCode::ForgedAuthor,
                ..
            }
        ),
        "{verdict:?}"
    );
    // The stored customer is untouched and the verdict is audited.
    let stored = fieldcrm_server::sync::write::load_record(&server.state.db, target.doc)
        .await
        .unwrap();
    assert_ne!(stored["notes"], "forged");
    let audit = fieldcrm_server::db::audit::list(
        &server.state.db,
        &fieldcrm_server::db::audit::AuditFilter {
            doc_id: Some(target.doc.to_string()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.entry.verdict.as_deref() == Some("rejected")),
        "{audit:?}"
    );
    let _ = doc.get_heads();
    server.stop().await;
}

on_both_backends!(
    bad_tokens_are_refused_before_upgrade,
    bad_frames_close_the_connection,
    forged_author_is_rejected_and_nothing_stored
);

async fn revoking_a_connected_device_ends_its_session(backend: Backend) {
    let Some(server) = TestServer::start(backend, 1).await else {
        return;
    };
    let login = raw::login(&server, "rep.sh").await;
    let mut ws = raw::connect(&server, Some(&login.access))
        .await
        .ok()
        .unwrap();
    ws.hello(0).await;
    let _ = ws.until_caught_up().await;
    fieldcrm_server::db::devices::revoke(&server.state.db, login.device)
        .await
        .unwrap();
    // The next commit anyone makes wakes the session, which notices the revocation.
    let other = raw::login(&server, "office").await;
    let id = fieldcrm_server::db::documents::find_customer(&server.state.db, "C-SH-00001")
        .await
        .unwrap()
        .unwrap();
    fieldcrm_server::sync::write::server_update(
        &server.state.db,
        &server.state.hub,
        id,
        Some(other.user),
        "test.edit",
        |v| {
            v["notes"] = json!("wake up");
            Ok(())
        },
    )
    .await
    .unwrap();
    assert_eq!(
        ws.until_error().await,
        (Some(ErrorCode::DeviceRevoked), Some(1008))
    );
    server.stop().await;
}

on_both_backends!(revoking_a_connected_device_ends_its_session);
