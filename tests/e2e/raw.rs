//! A raw protocol client over tokio-tungstenite, for tests that must send what a well-behaved
//! client never would: bad tokens, garbage frames, forged authors.

use fieldcrm_core::protocol::{self, ClientMessage, PROTOCOL_VERSION, ServerMessage};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::harness::{PASSWORD, TestServer};

/// A connected raw socket.
pub struct Raw {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// A login's tokens.
pub struct Login {
    pub access: String,
    pub user: fieldcrm_core::UserId,
    pub device: fieldcrm_core::DeviceId,
}

/// Logs in through the library (same code as `POST /api/v1/auth/login`).
pub async fn login(server: &TestServer, username: &str) -> Login {
    let out = fieldcrm_server::auth::login(&server.state, username, PASSWORD, "raw test device")
        .await
        .expect("login");
    Login {
        access: out.tokens.access_token.clone(),
        user: out.user.id,
        device: out.tokens.device_id,
    }
}

/// Connects with an optional bearer token. An HTTP refusal comes back as `Err(status, body)`.
pub async fn connect(server: &TestServer, token: Option<&str>) -> Result<Raw, (u16, String)> {
    let url = format!("ws://{}/api/v1/sync", server.addr);
    let mut req = url.into_client_request().expect("request");
    if let Some(t) = token {
        req.headers_mut().insert(
            "Authorization",
            format!("Bearer {t}").parse().expect("header"),
        );
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(Raw { ws }),
        Err(tungstenite::Error::Http(resp)) => {
            let status = resp.status().as_u16();
            let body = resp
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            Err((status, body))
        }
        Err(e) => panic!("connect failed: {e}"),
    }
}

/// What came back from the server.
#[derive(Debug)]
pub enum Got {
    Msg(ServerMessage),
    Closed(Option<u16>),
}

impl Raw {
    /// Sends a protocol message.
    pub async fn send(&mut self, m: &ClientMessage) {
        let bytes = protocol::encode(m).expect("encode");
        self.ws
            .send(Message::Binary(bytes.into()))
            .await
            .expect("send");
    }

    /// Sends a raw frame.
    pub async fn send_frame(&mut self, m: Message) {
        let _ = self.ws.send(m).await;
    }

    /// Sends `hello` with `cursor`.
    pub async fn hello(&mut self, cursor: u64) {
        self.send(&ClientMessage::Hello {
            version: PROTOCOL_VERSION,
            cursor,
            client: "raw-test".into(),
        })
        .await;
    }

    /// The next message or close.
    pub async fn recv(&mut self) -> Got {
        loop {
            let next = tokio::time::timeout(std::time::Duration::from_secs(20), self.ws.next())
                .await
                .expect("server answered within 20 s");
            match next {
                None => return Got::Closed(None),
                Some(Err(_)) => return Got::Closed(None),
                Some(Ok(Message::Binary(b))) => {
                    return Got::Msg(
                        protocol::decode(&b, usize::MAX).expect("server frame decodes"),
                    );
                }
                Some(Ok(Message::Close(f))) => return Got::Closed(f.map(|f| u16::from(f.code))),
                Some(Ok(_)) => {}
            }
        }
    }

    /// Reads until `caught_up`, returning every `docs` entry and revoked id seen, and the cursor.
    pub async fn until_caught_up(
        &mut self,
    ) -> (
        Vec<fieldcrm_core::protocol::DocData>,
        Vec<fieldcrm_core::DocId>,
        u64,
        usize,
    ) {
        let (mut docs, mut revoked, mut frames) = (Vec::new(), Vec::new(), 0);
        loop {
            match self.recv().await {
                Got::Msg(ServerMessage::Docs { docs: d }) => {
                    frames += 1;
                    docs.extend(d);
                }
                Got::Msg(ServerMessage::Revoke { docs: d, .. }) => {
                    frames += 1;
                    revoked.extend(d);
                }
                Got::Msg(ServerMessage::CaughtUp { cursor }) => {
                    return (docs, revoked, cursor, frames);
                }
                Got::Msg(ServerMessage::Welcome { .. }) => {}
                other => panic!("unexpected while catching up: {other:?}"),
            }
        }
    }

    /// Reads until an `error` message or a close; returns the error code if one came.
    pub async fn until_error(&mut self) -> (Option<protocol::ErrorCode>, Option<u16>) {
        let mut code = None;
        loop {
            match self.recv().await {
                Got::Msg(ServerMessage::Error { code: c, .. }) => code = Some(c),
                Got::Msg(_) => {}
                Got::Closed(close) => return (code, close),
            }
        }
    }
}
