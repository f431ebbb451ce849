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

on_both_backends! {
    async fn stakeholders_merge_by_ref_under_an_account_named_by_ref(app: &TestApp) {
        let acme = app
            .account(json!({"name": "Acme", "external_refs": [{"system": "salesforce", "id": "001A"}]}))
            .await;
        let other = app.account(json!({"name": "Globex"})).await;
        let path = "/v1/stakeholders/by-ref/hubspot/c-7";

        // Created under the account named by its Salesforce id, the ref on it.
        let res = app
            .req(Method::PATCH, path)
            .json(&json!({"account_ref": {"system": "salesforce", "id": "001A"}, "name": "Raj",
                "attributes": {"persona": "technical"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        let raj: Value = res.json().await.unwrap();
        assert_eq!(location, format!("/v1/stakeholders/{}", raj["id"].as_str().unwrap()));
        assert_eq!(raj["account_id"], acme["id"]);
        assert_eq!(raj["external_refs"], json!([{"system": "hubspot", "id": "c-7"}]));

        // A merge keeps what it leaves out; attributes merge key by key.
        let (status, merged) = app
            .send(ADMIN_KEY, Method::PATCH, path, Some(json!({"title": "CTO", "attributes": {"tier": "a"}})))
            .await;
        assert_eq!(status, 200, "{merged}");
        assert_eq!((merged["name"].as_str(), merged["title"].as_str()), (Some("Raj"), Some("CTO")));
        assert_eq!(merged["attributes"], json!({"persona": "technical", "tier": "a"}));
        assert_ne!(merged["etag"], raj["etag"]);
        // The same again changes nothing.
        let (status, same) = app
            .send(ADMIN_KEY, Method::PATCH, path, Some(json!({"title": "CTO"})))
            .await;
        assert_eq!((status, same["etag"].clone()), (200, merged["etag"].clone()));
        let (status, got) = app.send(ADMIN_KEY, Method::GET, path, None).await;
        assert_eq!((status, got["id"].clone()), (200, raj["id"].clone()));

        // A new ref needs an account and a name; a stakeholder does not move; nothing stored.
        let (status, problem) = app
            .send(ADMIN_KEY, Method::PATCH, "/v1/stakeholders/by-ref/hubspot/c-8", Some(json!({"name": "Mei"})))
            .await;
        assert_eq!((status, problem_fields(&problem)), (422, vec!["account_ref".to_owned()]));
        let (status, problem) = app
            .send(ADMIN_KEY, Method::PATCH, "/v1/stakeholders/by-ref/hubspot/c-8",
                Some(json!({"account_id": acme["id"], "title": "VP"})))
            .await;
        assert_eq!((status, problem_fields(&problem)), (422, vec!["name".to_owned()]));
        let (status, problem) = app
            .send(ADMIN_KEY, Method::PATCH, path, Some(json!({"account_id": other["id"], "colour": "red"})))
            .await;
        assert_eq!((status, problem_fields(&problem)), (422, vec!["colour".to_owned()]));
        let (status, problem) = app
            .send(ADMIN_KEY, Method::PATCH, path, Some(json!({"account_id": other["id"]})))
            .await;
        assert_eq!((status, problem_fields(&problem)), (422, vec!["account_id".to_owned()]));
        let (status, _) = app
            .send(ADMIN_KEY, Method::GET, "/v1/stakeholders/by-ref/hubspot/c-8", None)
            .await;
        assert_eq!(status, 404);

        // Eight syncs create one new stakeholder at once: one is created, all see it.
        let body = json!({"account_id": acme["id"], "name": "Lee"});
        let answers = join_all((0..8).map(|_| {
            app.send(ADMIN_KEY, Method::PATCH, "/v1/stakeholders/by-ref/hubspot/c-9", Some(body.clone()))
        }))
        .await;
        let created = answers.iter().filter(|(s, _)| *s == 201).count();
        assert_eq!(created, 1, "{answers:?}");
        assert!(answers.iter().all(|(s, b)| (*s == 201 || *s == 200) && b["id"] == answers[0].1["id"]));

        // PUT replaces: what it leaves out returns to its default; the ref stays.
        let (status, put) = app
            .send(ADMIN_KEY, Method::PUT, path, Some(json!({"name": "Raj Patel", "role": "champion"})))
            .await;
        assert_eq!(status, 200, "{put}");
        assert_eq!((put["title"].clone(), put["attributes"].clone()), (Value::Null, json!({})));
        assert_eq!(put["external_refs"], json!([{"system": "hubspot", "id": "c-7"}]));
        let (status, made) = app
            .send(ADMIN_KEY, Method::PUT, "/v1/stakeholders/by-ref/hubspot/c-12",
                Some(json!({"account_id": acme["id"], "name": "Kim"})))
            .await;
        assert_eq!((status, made["account_id"].clone()), (201, acme["id"].clone()));

        // gRPC: the same use cases.
        let mut accounts = app.accounts_client().await;
        let replaced = accounts
            .upsert_stakeholder_by_ref(authed(ADMIN_KEY, pb::UpsertStakeholderByRefRequest {
                system: "hubspot".into(),
                external_id: "c-12".into(),
                stakeholder: Some(pb::Stakeholder { name: "Kim Lee".into(), ..Default::default() }),
                account_ref: None,
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(!replaced.created);
        assert_eq!(replaced.stakeholder.unwrap().name, "Kim Lee");
        let up = accounts
            .merge_stakeholder_by_ref(authed(ADMIN_KEY, pb::MergeStakeholderByRefRequest {
                system: "hubspot".into(),
                external_id: "c-10".into(),
                stakeholder: Some(pb::Stakeholder { name: "Ana".into(), ..Default::default() }),
                update_mask: None,
                account_ref: Some(pb::ExternalRef { system: "salesforce".into(), id: "001A".into() }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(up.created);
        let ana = up.stakeholder.unwrap();
        assert_eq!(ana.account_id, acme["id"].as_str().unwrap());
        let got = accounts
            .get_stakeholder_by_ref(authed(ADMIN_KEY, pb::GetStakeholderByRefRequest {
                system: "hubspot".into(),
                external_id: "c-10".into(),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.id, ana.id);
        let missing = accounts
            .merge_stakeholder_by_ref(authed(ADMIN_KEY, pb::MergeStakeholderByRefRequest {
                system: "hubspot".into(),
                external_id: "c-11".into(),
                stakeholder: Some(pb::Stakeholder { name: "Bo".into(), ..Default::default() }),
                update_mask: None,
                account_ref: None,
            }))
            .await
            .unwrap_err();
        assert_eq!(missing.code(), Code::InvalidArgument);
    }
}
