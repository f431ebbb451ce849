//! Connections as a hostile or careless client makes them: headers sent
//! slowly, a request refused before its body is read, a shutdown while a
//! request is half sent.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;

use crate::support::{Backend, TEST_LIMITS, TestApp};

/// Reads until the server closes the connection or `limit` passes; what was read.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Some(String::from_utf8_lossy(&out).into_owned()),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Some(String::from_utf8_lossy(&out).into_owned());
            }
            Err(_) => return None,
        }
    }
}

fn host_of(url: &str) -> String {
    url.trim_start_matches("http://").to_owned()
}

/// Sends `bytes` on a new connection, then waits (8 s at most) for the server
/// to close it; what it answered, and after how long.
async fn send_then_wait_for_close(
    app: &TestApp,
    bytes: &'static [u8],
) -> (Option<String>, Duration) {
    let addr = host_of(&app.http);
    tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(&addr).unwrap();
        stream.write_all(bytes).unwrap();
        let started = Instant::now();
        let outcome = read_until_closed(&mut stream, Duration::from_secs(8));
        (outcome, started.elapsed())
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_sending_headers_slowly_is_closed_after_the_header_timeout() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    // The test server's header timeout is 2 s.
    let (outcome, after) =
        send_then_wait_for_close(&app, b"GET /healthz HTTP/1.1\r\nHost: csapi\r\n").await;
    assert!(outcome.is_some(), "the connection stayed open");
    assert!(
        after >= Duration::from_millis(1500) && after < Duration::from_secs(6),
        "{after:?}"
    );

    // An idle keep-alive connection goes the same way.
    let (outcome, after) =
        send_then_wait_for_close(&app, b"GET /healthz HTTP/1.1\r\nHost: csapi\r\n\r\n").await;
    assert!(outcome.unwrap().starts_with("HTTP/1.1 200"));
    assert!(after < Duration::from_secs(6), "{after:?}");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_refused_before_its_body_is_read_says_connection_close() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let res = app
        .anonymous(Method::POST, "/v1/accounts")
        .header("content-type", "application/json")
        .body(r#"{"name": "Acme"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["connection"], "close");
    // A body that was read keeps the connection open.
    let res = app
        .req(Method::POST, "/v1/accounts")
        .json(&serde_json::json!({"name": "Acme"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert!(res.headers().get("connection").is_none());
    app.finish().await;
}

/// The binary serving on free ports of a fresh SQLite file; its REST address.
fn serve(db: &str, envs: &[(&str, &str)]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_csapi"))
        .arg("serve")
        .env("DATABASE_URL", db)
        .env("CSAPI_HTTP_ADDR", "127.0.0.1:0")
        .env("CSAPI_GRPC_ADDR", "127.0.0.1:0")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|l| l.starts_with("csapi serving REST on http://"))
        .expect("csapi reports where it serves");
    let addr = line
        .trim_start_matches("csapi serving REST on http://")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    (child, addr)
}

#[test]
fn sigterm_with_a_half_sent_request_exits_within_the_grace() {
    let path =
        std::env::temp_dir().join(format!("csapi-grace-{}.db", uuid::Uuid::new_v4().simple()));
    let db = format!("sqlite://{}", path.display());
    let (mut child, addr) = serve(
        &db,
        &[
            ("CSAPI_SHUTDOWN_GRACE", "2"),
            ("CSAPI_HEADER_TIMEOUT", "120"),
        ],
    );
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .write_all(b"POST /v1/accounts HTTP/1.1\r\nHost: csapi\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let started = Instant::now();
    let exited = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(10) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let elapsed = started.elapsed();
    if exited.is_none() {
        let _ = child.kill();
    }
    let _ = child.wait();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let status = exited.expect("csapi exits after SIGTERM");
    assert!(status.success(), "{status:?}");
    assert!(
        elapsed < Duration::from_secs(5),
        "exited after {elapsed:?}, grace 2 s"
    );
}

#[test]
fn a_wildcard_cors_origin_among_others_is_refused_at_start_up() {
    let path =
        std::env::temp_dir().join(format!("csapi-cors-{}.db", uuid::Uuid::new_v4().simple()));
    let out = Command::new(env!("CARGO_BIN_EXE_csapi"))
        .arg("serve")
        .env("DATABASE_URL", format!("sqlite://{}", path.display()))
        .env("CSAPI_HTTP_ADDR", "127.0.0.1:0")
        .env("CSAPI_GRPC_ADDR", "127.0.0.1:0")
        .env("CSAPI_CORS_ORIGINS", "*,https://app.example.com")
        .output()
        .unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot be listed with others"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_wait_for_a_free_one() {
    let limits = csapi::server::ConnectionLimits {
        max_connections: 2,
        ..TEST_LIMITS
    };
    let app = TestApp::start_limited(Backend::Sqlite, limits)
        .await
        .unwrap();
    let addr = host_of(&app.http);
    // Two idle connections take both places until the header timeout (2 s) closes them.
    let held: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let res = reqwest::Client::new()
        .get(format!("{}/healthz", app.http))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(res.status(), 200);
    assert!(
        waited >= Duration::from_millis(1200),
        "served after {waited:?}, before a place was free"
    );
    drop(held);
    app.finish().await;
}
