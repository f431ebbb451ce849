//! The merge upsert by ref a CRM sync uses: what the sync does not send
//! stays, attributes merge key by key, an unchanged record is not written,
//! and parallel syncs of one new ref create it once and lose no key.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use csapi::grpc::pb;
use prost_types::value::Kind;
use prost_types::{FieldMask, Struct};
use tonic::Code;

use crate::changes::next_events;
use crate::support::{ADMIN_KEY, TestApp, authed, on_both_backends, problem_fields};

const ACME: &str = "/v1/accounts/by-ref/salesforce/001A";

async fn merge(app: &TestApp, body: Value) -> (u16, Value) {
    app.send(ADMIN_KEY, Method::PATCH, ACME, Some(body)).await
}

fn text(s: &str) -> prost_types::Value {
    prost_types::Value {
        kind: Some(Kind::StringValue(s.into())),
    }
}

on_both_backends! {
    async fn a_merge_keeps_what_the_sync_does_not_send(app: &TestApp) {
        let (status, problem) = merge(app, json!({"segment": "smb"})).await;
        assert_eq!((status, problem_fields(&problem)), (422, vec!["name".to_owned()]));
        let (status, created) = merge(app, json!({"name": "Acme", "attributes": {"tier": "gold"}})).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["external_refs"], json!([{"system": "salesforce", "id": "001A"}]));
        let id = created["id"].as_str().unwrap();

        // The CS team notes something on the account…
        let (status, _) = app
            .send(ADMIN_KEY, Method::PATCH, &format!("/v1/accounts/{id}"),
                Some(json!({"attributes": {"csm_note": "sponsor left"}, "owner": "jane@vendor.example"})))
            .await;
        assert_eq!(status, 200);
        // …and the next sync changes only what it sends.
        let (status, synced) = merge(app, json!({"segment": "enterprise", "attributes": {"plan": "pro"}})).await;
        assert_eq!(status, 200, "{synced}");
        assert_eq!(synced["id"], id);
        assert_eq!((&synced["name"], &synced["segment"], &synced["owner"]),
            (&json!("Acme"), &json!("enterprise"), &json!("jane@vendor.example")));
        assert_eq!(synced["attributes"], json!({"tier": "gold", "csm_note": "sponsor left", "plan": "pro"}));
        assert_eq!(synced["etag"], "\"3\"");

        // The same sync again writes nothing: same version, no event.
        let (status, again) = merge(app, json!({"segment": "enterprise", "attributes": {"plan": "pro"}})).await;
        assert_eq!((status, &again), (200, &synced));
        let (events, _) = next_events(app, None, 3).await;
        let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["account.created", "account.updated", "account.updated"]);
        let (_, all) = app.send(ADMIN_KEY, Method::GET, "/v1/changes", None).await;
        assert_eq!(all["events"].as_array().unwrap().len(), 3, "{all}");

        // `null` removes a key; a stale If-Match is refused and changes nothing.
        let (status, dropped) = merge(app, json!({"attributes": {"tier": null}})).await;
        assert_eq!(status, 200);
        assert_eq!(dropped["attributes"], json!({"csm_note": "sponsor left", "plan": "pro"}));
        let (status, _) = app
            .req(Method::PATCH, ACME)
            .header("If-Match", "\"1\"")
            .json(&json!({"name": "Lost"}))
            .send()
            .await
            .map(|r| (r.status().as_u16(), ()))
            .unwrap();
        assert_eq!(status, 412);
        let (_, now) = app.send(ADMIN_KEY, Method::GET, ACME, None).await;
        assert_eq!((&now["name"], &now["etag"]), (&json!("Acme"), &json!("\"4\"")));
    }

    async fn parallel_merges_of_a_new_ref_create_once_and_lose_no_key(app: &TestApp) {
        const SYNCS: usize = 8;
        let answers = join_all((0..SYNCS).map(|i| {
            merge(app, json!({"name": "Acme", "attributes": {format!("k{i}"): i}}))
        }))
        .await;
        let mut statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 200, 201], "{answers:?}");
        let (_, list) = app.send(ADMIN_KEY, Method::GET, "/v1/accounts", None).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        let (_, acme) = app.send(ADMIN_KEY, Method::GET, ACME, None).await;
        let expected: serde_json::Map<String, Value> = (0..SYNCS).map(|i| (format!("k{i}"), json!(i))).collect();
        assert_eq!(acme["attributes"], Value::Object(expected));
        assert_eq!(acme["etag"], format!("\"{SYNCS}\""));
    }

    async fn a_merge_over_grpc(app: &TestApp) {
        let mut c = app.accounts_client().await;
        let request = |account: pb::Account, paths: &[&str]| {
            authed(ADMIN_KEY, pb::MergeAccountByRefRequest {
                system: "salesforce".into(),
                external_id: "001A".into(),
                account: Some(account),
                update_mask: (!paths.is_empty()).then(|| FieldMask { paths: paths.iter().map(|p| (*p).to_owned()).collect() }),
            })
        };
        let nameless = c.merge_account_by_ref(request(pb::Account { segment: Some("smb".into()), ..Default::default() }, &[]))
            .await
            .unwrap_err();
        assert_eq!(nameless.code(), Code::InvalidArgument);
        assert!(nameless.message().contains("name"), "{}", nameless.message());
        let attributes = |k: &str, v: &str| Some(Struct { fields: [(k.to_owned(), text(v))].into() });
        let made = c.merge_account_by_ref(request(pb::Account {
                name: "Acme".into(), attributes: attributes("tier", "gold"), ..Default::default()
            }, &[]))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((made.created, made.status.as_str()), (true, "created"));
        let plan = pb::Account { attributes: attributes("plan", "pro"), ..Default::default() };
        let merged = c.merge_account_by_ref(request(plan.clone(), &["attributes"])).await.unwrap().into_inner();
        assert_eq!((merged.created, merged.status.as_str()), (false, "updated"));
        let account = merged.account.unwrap();
        assert_eq!(account.name, "Acme");
        let keys: Vec<&str> = account.attributes.as_ref().unwrap().fields.keys().map(String::as_str).collect();
        assert_eq!(keys, ["plan", "tier"]);
        let again = c.merge_account_by_ref(request(plan, &["attributes"])).await.unwrap().into_inner();
        assert_eq!(again.status, "unchanged");
        assert_eq!(again.account.unwrap().etag, "\"2\"");
    }
}
