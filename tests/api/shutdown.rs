//! Graceful shutdown: a request that is still arriving when the server is told to stop
//! is read to its end and answered in full; only then does the server go away.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{DEMO_PASSWORD, email, spawn_app};

/// Splits a raw HTTP/1.1 response into its head and body.
fn split_response(raw: &[u8]) -> (String, Vec<u8>) {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers in {:?}", String::from_utf8_lossy(raw)));
    (
        String::from_utf8_lossy(&raw[..end]).into_owned(),
        raw[end + 4..].to_vec(),
    )
}

#[tokio::test]
async fn a_graceful_stop_finishes_the_request_in_flight_and_then_refuses_connections() {
    let app = spawn_app().await;
    let port = app.port;
    let body =
        json!({"grant_type": "password", "email": email("office"), "password": DEMO_PASSWORD})
            .to_string()
            .into_bytes();
    let half = body.len() / 2;
    let head = format!(
        "POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );

    // Std sockets on blocking threads: the test's runtime keeps driving the server.
    let stream = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&body[..half]).unwrap();
        s.flush().unwrap();
        (s, body)
    })
    .await
    .unwrap();
    // Let the server read the head and start waiting for the body.
    tokio::time::sleep(Duration::from_millis(100)).await;

    let handle = app.handle.clone();
    let stop = tokio::spawn(async move { handle.stop(true).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !stop.is_finished(),
        "the server stopped without waiting for the request in flight"
    );

    let raw = tokio::task::spawn_blocking(move || {
        let (mut s, body) = stream;
        s.write_all(&body[half..]).unwrap();
        s.flush().unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("read the response");
        raw
    })
    .await
    .unwrap();

    let (head, body) = split_response(&raw);
    assert!(
        head.starts_with("HTTP/1.1 200"),
        "not a 200 response: {head}"
    );
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or_else(|| panic!("no Content-Length in {head}"));
    assert_eq!(body.len(), length, "the body arrived complete");
    let token: Value = serde_json::from_slice(&body).expect("a JSON body");
    assert!(
        token["access_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "no access token in {token}"
    );

    tokio::time::timeout(Duration::from_secs(10), stop)
        .await
        .expect("the graceful stop completes")
        .unwrap();
    let refused = tokio::task::spawn_blocking(move || {
        TcpStream::connect_timeout(
            &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
            Duration::from_secs(2),
        )
    })
    .await
    .unwrap();
    assert!(
        refused.is_err(),
        "a new connection was accepted after the server stopped"
    );
}
