//! Webhooks: signed deliveries to a receiver the test runs, retries,
//! deliveries listed with their attempts, private addresses refused, and
//! several replicas sharing the sending without sending twice.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use csapi::grpc::pb::webhook_service_client::WebhookServiceClient;
use csapi::grpc::pb::{
    CreateWebhookRequest, GetWebhookRequest, ListWebhookDeliveriesRequest,
    RedeliverWebhookDeliveryRequest, UpdateWebhookRequest,
};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::watch;

use crate::support::{ADMIN_KEY, TestApp, authed, on_both_backends, problem_fields, test_webhooks};

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// A webhook receiver on 127.0.0.1: records every request and answers
/// the queued status codes, then 204.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start(answers: &[u16]) -> (Self, String) {
        let r = Receiver::default();
        r.answers.lock().unwrap().extend(answers);
        let state = r.clone();
        let router = axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: String| async move {
                    let h = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    state.got.lock().unwrap().push(Received {
                        id: h("webhook-id"),
                        timestamp: h("webhook-timestamp"),
                        signature: h("webhook-signature"),
                        body,
                    });
                    let code = state.answers.lock().unwrap().pop_front().unwrap_or(204);
                    axum::http::StatusCode::from_u16(code).unwrap()
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        (r, url)
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `n` requests have come (10 s at most).
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            if self.got().len() >= n {
                return self.got();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{} requests came, not {n}", self.got().len());
    }
}

/// Whether `r` carries a `v1` signature of `secret`, computed here as the
/// Standard Webhooks specification says (not with csapi's code).
fn signed_with(r: &Received, secret: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    r.signature.split(' ').any(|s| s == expected)
}

async fn create_hook(app: &TestApp, url: &str, types: Value) -> Value {
    let (status, body) = app
        .send(
            ADMIN_KEY,
            Method::POST,
            "/v1/webhooks",
            Some(json!({"url": url, "event_types": types, "description": "CRM sync"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

async fn deliveries(app: &TestApp, hook: &str) -> Vec<Value> {
    let (status, body) = app
        .send(
            ADMIN_KEY,
            Method::GET,
            &format!("/v1/webhooks/{hook}/deliveries"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

/// Waits until the webhook's newest delivery has left `pending`.
async fn settled(app: &TestApp, hook: &str) -> Vec<Value> {
    for _ in 0..200 {
        let all = deliveries(app, hook).await;
        if !all.is_empty() && all.iter().all(|d| d["status"] != "pending") {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "deliveries still pending: {:?}",
        deliveries(app, hook).await
    );
}

on_both_backends! {
    start = start_webhooks;

    async fn signed_deliveries_are_retried_until_a_2xx(app: &TestApp) {
        let (receiver, url) = Receiver::start(&[500, 500]).await;
        let hook = create_hook(app, &url, json!(["account.*"])).await;
        let secret = hook["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"), "{secret}");
        let id = hook["id"].as_str().unwrap();
        let account = app.account(json!({"name": "Acme"})).await;

        // Two 500s, then the third attempt gets the 204.
        let got = receiver.wait_for(3).await;
        let all = settled(app, id).await;
        assert_eq!(got.len(), 3);
        assert_eq!(all.len(), 1, "{all:?}");
        let d = &all[0];
        assert_eq!(d["status"], "delivered");
        assert_eq!(d["attempts"], 3);
        assert_eq!(d["last_status_code"], 204);
        assert_eq!(d["event_type"], "account.created");
        assert_eq!(d["last_error"], Value::Null);

        // Every attempt is the same message, signed with the secret.
        for r in &got {
            assert!(signed_with(r, &secret), "{r:?}");
            assert!(!signed_with(r, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
            assert_eq!(r.id, got[0].id);
            assert_eq!(r.body, got[0].body);
        }
        assert_eq!(got[0].id, d["event_id"].as_str().unwrap());

        // The body is the event as the feed has it.
        let events = app.settled_feed("account.created", 1).await;
        let event = &events[0];
        let sent: Value = serde_json::from_str(&got[0].body).unwrap();
        assert_eq!(&sent, event);
        assert_eq!(sent["data"]["id"], account["id"]);
    }

    async fn only_subscribed_events_go_and_the_hook_is_managed(app: &TestApp) {
        let (receiver, url) = Receiver::start(&[]).await;
        let hook = create_hook(app, &url, json!(["stakeholder.created"])).await;
        let id = hook["id"].as_str().unwrap().to_owned();
        let account = app.account(json!({"name": "Initech"})).await;
        let (status, _) = app
            .send(
                ADMIN_KEY,
                Method::POST,
                &format!("/v1/accounts/{}/stakeholders", account["id"].as_str().unwrap()),
                Some(json!({"name": "Raj"})),
            )
            .await;
        assert_eq!(status, 201);
        receiver.wait_for(1).await;
        settled(app, &id).await;
        let got = receiver.got();
        assert_eq!(got.len(), 1);
        let sent: Value = serde_json::from_str(&got[0].body).unwrap();
        assert_eq!(sent["type"], "stakeholder.created");

        // Get and list never show the secret.
        let (status, one) = app
            .send(ADMIN_KEY, Method::GET, &format!("/v1/webhooks/{id}"), None)
            .await;
        assert_eq!(status, 200);
        assert_eq!(one["secret"], Value::Null);
        assert_eq!(one["event_types"], json!(["stakeholder.created"]));
        let (_, listed) = app.send(ADMIN_KEY, Method::GET, "/v1/webhooks", None).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);

        // A rotation answers a new secret once; both sign for a while.
        let old = hook["secret"].as_str().unwrap().to_owned();
        let (status, rotated) = app
            .send(
                ADMIN_KEY,
                Method::PATCH,
                &format!("/v1/webhooks/{id}"),
                Some(json!({"rotate_secret": true})),
            )
            .await;
        assert_eq!(status, 200, "{rotated}");
        let new = rotated["secret"].as_str().unwrap().to_owned();
        assert_ne!(new, old);
        let (status, queued) = app
            .send(ADMIN_KEY, Method::POST, &format!("/v1/webhooks/{id}/test"), None)
            .await;
        assert_eq!(status, 202, "{queued}");
        assert_eq!(queued["event_type"], "webhook.test");
        let got = receiver.wait_for(2).await;
        assert!(signed_with(&got[1], &new) && signed_with(&got[1], &old), "{:?}", got[1]);
        assert_eq!(got[1].signature.split(' ').count(), 2);

        // Redelivery sends the same message again.
        let test_delivery = queued["id"].as_str().unwrap();
        settled(app, &id).await;
        let (status, again) = app
            .send(
                ADMIN_KEY,
                Method::POST,
                &format!("/v1/webhooks/{id}/deliveries/{test_delivery}/redeliver"),
                None,
            )
            .await;
        assert_eq!(status, 202, "{again}");
        assert_eq!(again["status"], "pending");
        let got = receiver.wait_for(3).await;
        assert_eq!(got[2].id, got[1].id);
        assert_eq!(got[2].body, got[1].body);

        // Disabled, it gets nothing; deleted, it is gone.
        let (status, off) = app
            .send(
                ADMIN_KEY,
                Method::PATCH,
                &format!("/v1/webhooks/{id}"),
                Some(json!({"enabled": false})),
            )
            .await;
        assert_eq!((status, off["enabled"].clone()), (200, json!(false)));
        app.account(json!({"name": "Hooli"})).await;
        let (status, _) = app
            .send(
                ADMIN_KEY,
                Method::POST,
                &format!("/v1/accounts/{}/stakeholders", account["id"].as_str().unwrap()),
                Some(json!({"name": "Mei"})),
            )
            .await;
        assert_eq!(status, 201);
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(receiver.got().len(), 3);
        let (status, _) = app
            .send(ADMIN_KEY, Method::DELETE, &format!("/v1/webhooks/{id}"), None)
            .await;
        assert_eq!(status, 204);
        let (status, _) = app
            .send(ADMIN_KEY, Method::GET, &format!("/v1/webhooks/{id}"), None)
            .await;
        assert_eq!(status, 404);

        // Each change of the webhook is in the feed, never with a secret.
        let events = app.settled_feed("webhook.*", 4).await;
        let kinds: Vec<&str> = events
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["webhook.created", "webhook.updated", "webhook.updated", "webhook.deleted"]);
        assert!(!Value::from(events.clone()).to_string().contains("whsec_"));
    }

    async fn bad_webhooks_are_refused_naming_each_field(app: &TestApp) {
        let (status, problem) = app
            .send(
                ADMIN_KEY,
                Method::POST,
                "/v1/webhooks",
                Some(json!({"url": "ftp://x", "event_types": ["acount.*", "*"]})),
            )
            .await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem_fields(&problem), ["event_types[0]", "url"]);
        let writer = app.key("write").await;
        let (status, _) = app
            .send(
                &writer,
                Method::POST,
                "/v1/webhooks",
                Some(json!({"url": "https://example.com/", "event_types": ["*"]})),
            )
            .await;
        assert_eq!(status, 403);
        let (status, _) = app.send(ADMIN_KEY, Method::GET, "/v1/webhooks", None).await;
        assert_eq!(status, 200);
        let (_, listed) = app.send(ADMIN_KEY, Method::GET, "/v1/webhooks", None).await;
        assert_eq!(listed["items"], json!([]));
        // Another workspace's webhook is not found.
        let (_, url) = Receiver::start(&[]).await;
        let hook = create_hook(app, &url, json!(["*"])).await;
        let other = app.other_workspace("elsewhere").await;
        let (status, _) = app
            .send(&other, Method::GET, &format!("/v1/webhooks/{}", hook["id"].as_str().unwrap()), None)
            .await;
        assert_eq!(status, 404);
    }

    async fn a_delivery_failing_every_retry_is_marked_failed(app: &TestApp) {
        let (receiver, url) = Receiver::start(&[500; 20]).await;
        let hook = create_hook(app, &url, json!(["account.*"])).await;
        let id = hook["id"].as_str().unwrap().to_owned();
        app.account(json!({"name": "Acme"})).await;
        receiver.wait_for(3).await;
        let all = settled(app, &id).await;
        assert_eq!(all[0]["status"], "failed");
        assert_eq!(all[0]["attempts"], 3);
        assert_eq!(all[0]["last_status_code"], 500);
        assert!(all[0]["last_error"].as_str().unwrap().contains("500"), "{:?}", all[0]);
        let (_, now) = app
            .send(ADMIN_KEY, Method::GET, &format!("/v1/webhooks/{id}"), None)
            .await;
        // Failing, not failing for long enough (five days by default) to be disabled.
        assert_eq!(now["enabled"], true);
        assert!(now["failing_since"].is_string(), "{now}");
    }

    async fn webhooks_over_grpc(app: &TestApp) {
        let (receiver, url) = Receiver::start(&[503]).await;
        let mut hooks = WebhookServiceClient::new(app.channel().await);
        let created = hooks
            .create_webhook(authed(
                ADMIN_KEY,
                CreateWebhookRequest {
                    url,
                    event_types: vec!["account.created".into()],
                    description: "gRPC".into(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(created.secret.starts_with("whsec_"));
        let hook = created.webhook.unwrap();
        app.account(json!({"name": "Acme"})).await;
        let got = receiver.wait_for(2).await;
        assert!(signed_with(&got[1], &created.secret));
        settled(app, &hook.id).await;
        let listed = hooks
            .list_webhook_deliveries(authed(
                ADMIN_KEY,
                ListWebhookDeliveriesRequest {
                    webhook_id: hook.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        let d = &listed.deliveries[0];
        assert_eq!((d.status.as_str(), d.attempts, d.last_status_code), ("delivered", 2, Some(204)));
        let again = hooks
            .redeliver_webhook_delivery(authed(
                ADMIN_KEY,
                RedeliverWebhookDeliveryRequest {
                    webhook_id: hook.id.clone(),
                    delivery_id: d.id.clone(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(again.status, "pending");
        receiver.wait_for(3).await;
        let off = hooks
            .update_webhook(authed(
                ADMIN_KEY,
                UpdateWebhookRequest {
                    id: hook.id.clone(),
                    enabled: Some(false),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(off.secret, "");
        assert!(!off.webhook.unwrap().enabled);
        let bad = hooks
            .get_webhook(authed(ADMIN_KEY, GetWebhookRequest { id: "nope".into() }))
            .await
            .unwrap_err();
        assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    }

    async fn replicas_share_the_sending_and_send_each_event_once(app: &TestApp) {
        let (receiver, url) = Receiver::start(&[]).await;
        create_hook(app, &url, json!(["account.created"])).await;
        let (stop, stopped) = watch::channel(false);
        for _ in 0..2 {
            let replica = app
                .replica(Duration::ZERO)
                .await
                .with_webhooks(test_webhooks());
            let stopped = stopped.clone();
            tokio::spawn(async move { replica.run_webhooks(stopped).await });
        }
        let writes = (0..40).map(|i| app.account(json!({"name": format!("Account {i}")})));
        futures_util::future::join_all(writes).await;
        let got = receiver.wait_for(40).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let got = if receiver.got().len() > got.len() { receiver.got() } else { got };
        let _ = stop.send(true);
        let mut per_event: HashMap<String, usize> = HashMap::new();
        for r in &got {
            *per_event.entry(r.id.clone()).or_default() += 1;
        }
        assert_eq!(per_event.len(), 40);
        assert!(per_event.values().all(|n| *n == 1), "{per_event:?}");
    }
}

on_both_backends! {
    start = start_webhooks_disabling;

    async fn a_receiver_failing_for_the_whole_period_is_disabled(app: &TestApp) {
        let (receiver, url) = Receiver::start(&[500; 20]).await;
        let hook = create_hook(app, &url, json!(["account.*"])).await;
        let id = hook["id"].as_str().unwrap().to_owned();
        app.account(json!({"name": "Acme"})).await;
        receiver.wait_for(2).await;
        let mut off = Value::Null;
        for _ in 0..100 {
            off = app
                .send(ADMIN_KEY, Method::GET, &format!("/v1/webhooks/{id}"), None)
                .await
                .1;
            if off["enabled"] == false {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(off["enabled"], false, "{off}");
        assert!(off["disabled_reason"].as_str().unwrap().starts_with("every delivery has failed since "), "{off}");
        let events = app.settled_feed("webhook.disabled", 1).await;
        assert_eq!(events[0]["resource_id"], id.as_str());
        assert_eq!(events[0]["data"]["enabled"], false);

        // Enabled again, its run of failures starts afresh.
        let (status, on) = app
            .send(ADMIN_KEY, Method::PATCH, &format!("/v1/webhooks/{id}"), Some(json!({"enabled": true})))
            .await;
        assert_eq!(status, 200);
        assert_eq!((on["enabled"].clone(), on["failing_since"].clone(), on["disabled_reason"].clone()),
            (json!(true), Value::Null, Value::Null));
    }
}

on_both_backends! {
    async fn without_the_allow_flag_internal_addresses_are_refused(app: &TestApp) {
        for url in [
            "http://hooks.example.com/csapi",
            "https://127.0.0.1/hook",
            "https://localhost:9000/hook",
            "https://10.1.2.3/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://[fd00:ec2::254]/",
        ] {
            let (status, problem) = app
                .send(
                    ADMIN_KEY,
                    Method::POST,
                    "/v1/webhooks",
                    Some(json!({"url": url, "event_types": ["*"]})),
                )
                .await;
            assert_eq!(status, 422, "{url}: {problem}");
            assert_eq!(problem_fields(&problem), ["url"], "{url}");
        }
        let (_, listed) = app.send(ADMIN_KEY, Method::GET, "/v1/webhooks", None).await;
        assert_eq!(listed["items"], json!([]));
        let (status, _) = app
            .send(
                ADMIN_KEY,
                Method::POST,
                "/v1/webhooks",
                Some(json!({"url": "https://hooks.example.com/csapi", "event_types": ["*"]})),
            )
            .await;
        assert_eq!(status, 201);
    }
}
