//! Operations: graceful shutdown on SIGTERM, and riding out a database outage.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use csapi::grpc::pb;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tonic::Code;

use crate::support::{ADMIN_KEY, TestApp, authed, fresh_postgres_database, postgres_admin_url};

#[test]
fn sigterm_lets_the_in_flight_request_finish_and_exits_zero() {
    let db = std::env::temp_dir().join(format!(
        "csapi-sigterm-{}.db",
        uuid::Uuid::new_v4().simple()
    ));
    let mut child = Command::new(env!("CARGO_BIN_EXE_csapi"))
        .arg("serve")
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("CSAPI_HTTP_ADDR", "127.0.0.1:0")
        .env("CSAPI_GRPC_ADDR", "127.0.0.1:0")
        .env("CSAPI_BOOTSTRAP_KEY", ADMIN_KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting csapi");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("csapi printed its addresses").unwrap();
        if let Some(rest) = line.strip_prefix("csapi serving REST on http://") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };

    let body = json!({"name": "In flight"}).to_string();
    let (head, tail) = body.split_at(body.len() / 2);
    let mut conn = TcpStream::connect(&addr).unwrap();
    write!(
        conn,
        "POST /v1/accounts HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {ADMIN_KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{head}",
        body.len()
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(300));
    conn.write_all(tail.as_bytes()).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "the in-flight request completed: {answer}"
    );

    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "csapi did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

/// A TCP proxy in front of PostgreSQL that can cut every connection, like an outage.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (up2, links2) = (up.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    continue;
                }
                let upstream = upstream.clone();
                links2.lock().await.push(tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        });
        Proxy { port, up, links }
    }

    async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().await.drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// `user@host:port` of a PostgreSQL URL, and the URL with host:port replaced.
fn via_proxy(url: &str, port: u16) -> (String, String) {
    let scheme_end = url.find("://").unwrap() + 3;
    let auth_end = url[scheme_end..]
        .find('@')
        .map_or(scheme_end, |i| scheme_end + i + 1);
    let host_end = url[auth_end..]
        .find('/')
        .map_or(url.len(), |i| auth_end + i);
    let upstream = url[auth_end..host_end].to_owned();
    (
        upstream,
        format!("{}127.0.0.1:{port}{}", &url[..auth_end], &url[host_end..]),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_answers_503_and_recovers_without_restart() {
    let Some((name, url)) = fresh_postgres_database().await else {
        return;
    };
    let (upstream, _) = via_proxy(&postgres_admin_url(), 0);
    let proxy = Proxy::start(upstream).await;
    let (_, proxied) = via_proxy(&url, proxy.port);
    let app = TestApp::start_on_url(&proxied, name).await;
    let account = app.account(json!({"name": "Survivor"})).await;

    proxy.cut().await;
    let res = app.req(Method::GET, "/v1/accounts").send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let ready = app.anonymous(Method::GET, "/readyz").send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let alive = app.anonymous(Method::GET, "/healthz").send().await.unwrap();
    assert_eq!(alive.status(), 200);
    let mut c = app.accounts_client().await;
    let err = c
        .list_accounts(authed(ADMIN_KEY, pb::ListAccountsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);

    proxy.restore();
    let back = std::time::Instant::now();
    let listed: Value = loop {
        let res = app.req(Method::GET, "/v1/accounts").send().await.unwrap();
        if res.status() == 200 {
            break res.json().await.unwrap();
        }
        assert_eq!(res.status(), 503);
        assert!(
            back.elapsed() < Duration::from_secs(1),
            "csapi did not recover within a second of the database returning"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(listed["items"][0]["id"], account["id"]);
    let again = c
        .list_accounts(authed(ADMIN_KEY, pb::ListAccountsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.accounts.len(), 1);

    // The database restarts while the pool sits idle: connections it closed
    // are known broken and idle ones are checked before they are lent, so
    // no request meets a dead one.
    proxy.cut().await;
    proxy.restore();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for _ in 0..3 {
        let res = app.req(Method::GET, "/v1/accounts").send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    app.finish().await;
}

#[test]
fn proxy_urls_are_rewritten() {
    let (up, url) = via_proxy("postgres://postgres@127.0.0.1:5432/csapi_test_x", 9999);
    assert_eq!(up, "127.0.0.1:5432");
    assert_eq!(url, "postgres://postgres@127.0.0.1:9999/csapi_test_x");
}
