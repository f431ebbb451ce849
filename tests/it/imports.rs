//! Bulk upsert of accounts and stakeholders by ref: a result per item, merges that keep what
//! a batch does not mention, a second identical run that writes nothing.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use csapi::grpc::pb;
use csapi::grpc::pb::assessment_service_client::AssessmentServiceClient;

use crate::changes::next_events;
use crate::support::{ADMIN_KEY, Backend, TestApp, authed, on_both_backends, problem_fields};

async fn batch(app: &TestApp, body: Value) -> (u16, Value) {
    app.send(ADMIN_KEY, Method::POST, "/v1/accounts/batch", Some(body))
        .await
}

fn statuses(result: &Value) -> Vec<&str> {
    result["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect()
}

fn sf(id: &str) -> Value {
    json!({"system": "salesforce", "id": id})
}

on_both_backends! {
    async fn a_batch_creates_merges_and_then_finds_nothing_to_do(app: &TestApp) {
        let items = json!([
            {"ref": sf("001"), "name": "Acme", "attributes": {"tier": "gold"}},
            {"ref": sf("002"), "name": "Globex"},
            {"ref": sf("001"), "segment": "smb"},
        ]);
        let (status, first) = batch(app, json!({"items": items})).await;
        assert_eq!(status, 200, "{first}");
        assert_eq!(statuses(&first), ["created", "created", "updated"]);
        assert_eq!((&first["created"], &first["updated"], &first["unchanged"], &first["failed"]),
            (&json!(2), &json!(1), &json!(0), &json!(0)));
        assert_eq!(first["items"][0]["id"], first["items"][2]["id"], "the third item merged into the first's account");
        let acme_id = first["items"][0]["id"].as_str().unwrap().to_owned();
        let (_, acme) = app.send(ADMIN_KEY, Method::GET, "/v1/accounts/by-ref/salesforce/001", None).await;
        assert_eq!((&acme["id"], &acme["name"], &acme["segment"], &acme["etag"]),
            (&json!(acme_id), &json!("Acme"), &json!("smb"), &json!("\"1\"")));
        assert_eq!(acme["external_refs"], json!([sf("001")]));

        // The same batch again writes nothing.
        let (status, again) = batch(app, json!({"items": items})).await;
        assert_eq!(status, 200);
        assert_eq!(statuses(&again), ["unchanged", "unchanged", "unchanged"]);
        let (events, _) = next_events(app, None, 2).await;
        let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["account.created", "account.created"]);
        assert_eq!(events[0]["data"], acme, "one event per account, as it ends");
        let (_, feed) = app.send(ADMIN_KEY, Method::GET, "/v1/changes", None).await;
        assert_eq!(feed["events"].as_array().unwrap().len(), 2);

        // What the CS team keeps on the account survives the next sync.
        let (status, _) = app
            .send(ADMIN_KEY, Method::PATCH, &format!("/v1/accounts/{acme_id}"),
                Some(json!({"attributes": {"csm_note": "sponsor left"}})))
            .await;
        assert_eq!(status, 200);
        let (_, synced) = batch(app, json!({"items": [
            {"ref": sf("001"), "attributes": {"tier": "platinum"}},
            {"id": acme_id, "owner": "jane@vendor.example"},
        ]})).await;
        assert_eq!(statuses(&synced), ["updated", "updated"]);
        let (_, acme) = app.send(ADMIN_KEY, Method::GET, "/v1/accounts/by-ref/salesforce/001", None).await;
        assert_eq!(acme["attributes"], json!({"tier": "platinum", "csm_note": "sponsor left"}));
        assert_eq!((&acme["owner"], &acme["etag"]), (&json!("jane@vendor.example"), &json!("\"3\"")));
    }

    async fn bad_items_are_named_and_atomic_batches_write_nothing(app: &TestApp) {
        let items = json!([
            {"ref": sf("001"), "name": "Acme"},
            {"ref": sf("002"), "segment": "smb"},
            {"ref": sf("003"), "name": "Hooli", "region": "emea"},
            {"name": "Nameless"},
            {"id": "01a22954-3526-7175-80f5-c757566a279c", "name": "Ghost"},
            {"ref": sf("004"), "name": "Initech", "external_refs": [sf("001")]},
        ]);
        let (status, problem) = batch(app, json!({"items": items})).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem_fields(&problem), ["items[1].name", "items[2].region",
            "items[3].ref", "items[4].id", "items[5].external_refs"]);
        let (_, list) = app.send(ADMIN_KEY, Method::GET, "/v1/accounts", None).await;
        assert_eq!(list["items"], json!([]), "an atomic batch with a bad item writes nothing");

        // A malformed item (an unknown field, no ref or id) fails any batch;
        // well-formed items that are refused are skipped when not atomic.
        let (status, _) = batch(app, json!({"items": items, "atomic": false})).await;
        assert_eq!(status, 422);
        let refused: Vec<Value> = [0, 1, 4, 5].iter().map(|&i| items[i].clone()).collect();
        let (status, partial) = batch(app, json!({"items": refused, "atomic": false})).await;
        assert_eq!(status, 200, "{partial}");
        assert_eq!(statuses(&partial), ["created", "failed", "failed", "failed"]);
        assert_eq!(partial["items"][1]["errors"], json!([{"field": "items[1].name", "message": "is required to create an account"}]));
        assert_eq!(partial["items"][1]["id"], Value::Null);
        let (_, list) = app.send(ADMIN_KEY, Method::GET, "/v1/accounts", None).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);

        for (body, field) in [(json!({"items": []}), "items"), (json!({"items": [{"ref": sf("9"), "name": "x"}], "mode": 1}), "mode")] {
            let (status, problem) = batch(app, body).await;
            assert_eq!((status, problem_fields(&problem)), (422, vec![field.to_owned()]));
        }
    }

    async fn parallel_batches_of_the_same_refs_create_each_once(app: &TestApp) {
        // Four syncs at once, each naming the same 50 new refs (and one of
        // them also upserting single refs): every ref ends up on one account.
        let items: Vec<Value> = (0..50).map(|i| json!({"ref": sf(&format!("{i:03}")), "name": format!("A{i}")})).collect();
        let single = async {
            for i in 0..10 {
                let (status, _) = app
                    .send(ADMIN_KEY, Method::PATCH, &format!("/v1/accounts/by-ref/salesforce/{i:03}"),
                        Some(json!({"name": format!("A{i}"), "segment": "smb"})))
                    .await;
                assert!(status == 200 || status == 201, "{status}");
            }
        };
        let batches = join_all((0..4).map(|_| batch(app, json!({"items": items}))));
        let (answers, ()) = tokio::join!(batches, single);
        let mut created = 0;
        for (status, result) in &answers {
            assert_eq!(*status, 200, "{result}");
            created += result["created"].as_u64().unwrap();
        }
        let (_, page) = app.send(ADMIN_KEY, Method::GET, "/v1/accounts?page_size=100", None).await;
        let accounts = page["items"].as_array().unwrap();
        assert_eq!(accounts.len(), 50);
        assert!(created <= 50, "{created}");
    }

    async fn importing_over_grpc(app: &TestApp) {
        let mut c = app.accounts_client().await;
        let item = |id: &str, name: &str| pb::AccountImportItem {
            r#ref: Some(pb::ExternalRef { system: "salesforce".into(), id: id.into() }),
            account: Some(pb::Account { name: name.into(), ..Default::default() }),
            ..Default::default()
        };
        let items = vec![item("001", "Acme"), item("002", ""), item("003", "Initech")];
        let refused = c
            .import_accounts(authed(ADMIN_KEY, futures_util::stream::iter(items.clone())))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument);
        assert!(refused.message().contains("items[1].name"), "{}", refused.message());
        let mut lenient = items.clone();
        lenient[0].atomic = Some(false);
        let done = c
            .import_accounts(authed(ADMIN_KEY, futures_util::stream::iter(lenient)))
            .await
            .unwrap()
            .into_inner();
        let got: Vec<&str> = done.items.iter().map(|i| i.status.as_str()).collect();
        assert_eq!(got, ["created", "failed", "created"]);
        assert_eq!((done.created, done.failed), (2, 1));
        assert_eq!(done.items[1].errors[0].field, "items[1].name");
        let again = c
            .import_accounts(authed(ADMIN_KEY, futures_util::stream::iter(vec![item("001", "Acme")])))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(again.items[0].status, "unchanged");
        assert_eq!(again.items[0].id, done.items[0].id);
    }
}

async fn stakeholder_batch(app: &TestApp, body: Value) -> (u16, Value) {
    app.send(
        ADMIN_KEY,
        Method::POST,
        "/v1/stakeholders/batch",
        Some(body),
    )
    .await
}

fn hs(id: &str) -> Value {
    json!({"system": "hubspot", "id": id})
}

/// Accounts salesforce/001 and /002, by id.
async fn two_accounts(app: &TestApp) -> (String, String) {
    let (status, done) = batch(
        app,
        json!({"items": [
            {"ref": sf("001"), "name": "Acme"},
            {"ref": sf("002"), "name": "Globex"},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    let id = |i: usize| done["items"][i]["id"].as_str().unwrap().to_owned();
    (id(0), id(1))
}

on_both_backends! {
    async fn a_stakeholder_batch_creates_merges_and_then_finds_nothing_to_do(app: &TestApp) {
        let (acme, globex) = two_accounts(app).await;
        let items = json!([
            {"ref": hs("c1"), "account_ref": sf("001"), "name": "Mei", "role": "champion",
             "attributes": {"persona": "ops"}},
            {"ref": hs("c2"), "account_id": globex, "name": "Raj"},
            {"ref": hs("c1"), "title": "VP Operations"},
        ]);
        let (status, first) = stakeholder_batch(app, json!({"items": items})).await;
        assert_eq!(status, 200, "{first}");
        assert_eq!(statuses(&first), ["created", "created", "updated"]);
        assert_eq!((&first["created"], &first["updated"], &first["unchanged"], &first["failed"]),
            (&json!(2), &json!(1), &json!(0), &json!(0)));
        let mei_id = first["items"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(first["items"][2]["id"], json!(mei_id));
        let (_, mei) = app.send(ADMIN_KEY, Method::GET, "/v1/stakeholders/by-ref/hubspot/c1", None).await;
        assert_eq!((&mei["id"], &mei["account_id"], &mei["name"], &mei["title"], &mei["role"], &mei["etag"]),
            (&json!(mei_id), &json!(acme), &json!("Mei"), &json!("VP Operations"), &json!("champion"), &json!("\"2\"")),
            "item by item: created, then merged");
        assert_eq!(mei["external_refs"], json!([hs("c1")]));

        // Again: nothing to do, nothing written.
        let (status, again) = stakeholder_batch(app, json!({"items": items})).await;
        assert_eq!(status, 200);
        assert_eq!(statuses(&again), ["unchanged", "unchanged", "unchanged"]);
        let (events, _) = next_events(app, None, 5).await;
        let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["account.created", "account.created", "stakeholder.created", "stakeholder.created",
            "stakeholder.updated"], "the second run recorded nothing");
        let feed = app.settled_feed("stakeholder.*", 3).await;
        let kinds: Vec<&str> = feed.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["stakeholder.created", "stakeholder.created", "stakeholder.updated"]);
        assert_eq!(feed[2]["data"]["title"], "VP Operations");

        // A merge keeps the attributes the sync does not mention; by id too.
        let (_, synced) = stakeholder_batch(app, json!({"items": [
            {"ref": hs("c1"), "attributes": {"region": "emea", "persona": null}},
            {"id": mei_id, "involved_in_purchase": true},
        ]})).await;
        assert_eq!(statuses(&synced), ["updated", "updated"]);
        let (_, mei) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/stakeholders/{mei_id}"), None).await;
        assert_eq!((&mei["attributes"], &mei["involved_in_purchase"], &mei["etag"]),
            (&json!({"region": "emea"}), &json!(true), &json!("\"4\"")));
    }

    async fn bad_stakeholder_items_are_named_and_atomic_batches_write_nothing(app: &TestApp) {
        let (_, globex) = two_accounts(app).await;
        let (status, _) = stakeholder_batch(app, json!({"items": [
            {"ref": hs("held"), "account_ref": sf("001"), "name": "Held"},
        ]})).await;
        assert_eq!(status, 200);
        let items = json!([
            {"ref": hs("c1"), "account_ref": sf("001"), "name": "Mei"},
            {"ref": hs("c2"), "name": "No account"},
            {"ref": hs("c3"), "account_ref": sf("999"), "name": "Unknown account"},
            {"ref": hs("c4"), "account_ref": sf("001"), "name": "Thief", "external_refs": [hs("held")]},
            {"ref": hs("held"), "account_id": globex},
            {"id": "01a22954-3526-7175-80f5-c757566a279c", "title": "Ghost"},
            {"ref": hs("c5"), "account_ref": sf("001")},
        ]);
        let (status, problem) = stakeholder_batch(app, json!({"items": items})).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem_fields(&problem), ["items[1].account_ref", "items[2].account_ref",
            "items[3].external_refs", "items[4].account_id", "items[5].id", "items[6].name"]);
        let (_, found) = app.send(ADMIN_KEY, Method::GET, "/v1/stakeholders/by-ref/hubspot/c1", None).await;
        assert_eq!(found["status"], 404, "an atomic batch with a bad item writes nothing");

        let (status, partial) = stakeholder_batch(app, json!({"items": items, "atomic": false})).await;
        assert_eq!(status, 200, "{partial}");
        assert_eq!(statuses(&partial), ["created", "failed", "failed", "failed", "failed", "failed", "failed"]);
        assert_eq!(partial["items"][2]["errors"],
            json!([{"field": "items[2].account_ref", "message": "is not an account of this workspace"}]));
        let (status, _) = app.send(ADMIN_KEY, Method::GET, "/v1/stakeholders/by-ref/hubspot/c1", None).await;
        assert_eq!(status, 200);
        let (_, held) = app.send(ADMIN_KEY, Method::GET, "/v1/stakeholders/by-ref/hubspot/held", None).await;
        assert_eq!(held["etag"], "\"1\"", "a refused item changes nothing");

        // Malformed items (an unknown field; neither ref nor id) fail any batch.
        for bad in [json!({"ref": hs("c9"), "nickname": "x"}), json!({"name": "x"})] {
            let (status, _) = stakeholder_batch(app, json!({"items": [bad], "atomic": false})).await;
            assert_eq!(status, 422);
        }
    }

    async fn parallel_stakeholder_and_account_batches_neither_duplicate_nor_deadlock(app: &TestApp) {
        two_accounts(app).await;
        // Four syncs of the same 30 people spread over both accounts, in
        // opposite account orders, beside account batches that lock both
        // accounts and single upserts of the same refs.
        let people = |reverse: bool| -> Vec<Value> {
            let mut items: Vec<Value> = (0..30).map(|i| {
                let account = if i % 2 == 0 { "001" } else { "002" };
                json!({"ref": hs(&format!("p{i:02}")), "account_ref": sf(account), "name": format!("P{i}")})
            }).collect();
            if reverse {
                items.reverse();
            }
            items
        };
        let syncs = join_all((0..4).map(|n| stakeholder_batch(app, json!({"items": people(n % 2 == 1)}))));
        let accounts = join_all((0..2).map(|_| batch(app, json!({"items": [
            {"ref": sf("002"), "segment": "smb"}, {"ref": sf("001"), "segment": "smb"}]}))));
        let single = async {
            for i in 0..10 {
                let account = if i % 2 == 0 { "001" } else { "002" };
                let (status, body) = app
                    .send(ADMIN_KEY, Method::PATCH, &format!("/v1/stakeholders/by-ref/hubspot/p{i:02}"),
                        Some(json!({"name": format!("P{i}"), "account_ref": sf(account), "title": "lead"})))
                    .await;
                assert!(status == 200 || status == 201, "{status} {body}");
            }
        };
        let (syncs, accounts, ()) = tokio::join!(syncs, accounts, single);
        for (status, result) in syncs.iter().chain(&accounts) {
            assert_eq!(*status, 200, "{result}");
        }
        let mut people = 0;
        for account in ["001", "002"] {
            let (_, a) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/accounts/by-ref/salesforce/{account}"), None).await;
            let id = a["id"].as_str().unwrap();
            let (_, page) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/accounts/{id}/stakeholders?page_size=100"), None).await;
            people += page["items"].as_array().unwrap().len();
        }
        assert_eq!(people, 30, "each ref on one stakeholder");
    }

    async fn importing_stakeholders_over_grpc(app: &TestApp) {
        let (acme, _) = two_accounts(app).await;
        let mut c = app.accounts_client().await;
        let item = |id: &str, name: &str| pb::StakeholderImportItem {
            r#ref: Some(pb::ExternalRef { system: "hubspot".into(), id: id.into() }),
            stakeholder: Some(pb::Stakeholder { name: name.into(), account_id: acme.clone(), ..Default::default() }),
            ..Default::default()
        };
        let items = vec![item("c1", "Mei"), item("c2", ""), item("c3", "Raj")];
        let refused = c
            .import_stakeholders(authed(ADMIN_KEY, futures_util::stream::iter(items.clone())))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument);
        assert!(refused.message().contains("items[1].name"), "{}", refused.message());
        let mut lenient = items.clone();
        lenient[0].atomic = Some(false);
        let done = c
            .import_stakeholders(authed(ADMIN_KEY, futures_util::stream::iter(lenient)))
            .await
            .unwrap()
            .into_inner();
        let got: Vec<&str> = done.items.iter().map(|i| i.status.as_str()).collect();
        assert_eq!(got, ["created", "failed", "created"]);
        assert_eq!((done.created, done.failed), (2, 1));
        let again = c
            .import_stakeholders(authed(ADMIN_KEY, futures_util::stream::iter(vec![item("c1", "Mei")])))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(again.items[0].status, "unchanged");
        assert_eq!(again.items[0].id, done.items[0].id);
        let (_, mei) = app.send(ADMIN_KEY, Method::GET, "/v1/stakeholders/by-ref/hubspot/c1", None).await;
        assert_eq!((&mei["account_id"], &mei["name"]), (&json!(acme), &json!("Mei")));
    }
}

async fn assessment_batch(app: &TestApp, body: Value) -> (u16, Value) {
    app.send(ADMIN_KEY, Method::POST, "/v1/assessments/batch", Some(body))
        .await
}

fn gs(id: &str) -> Value {
    json!({"system": "gainsight", "id": id})
}

/// Readiness of account salesforce/`account` on 2 November 2026, named
/// gainsight/`id`.
fn readiness(id: &str, account: &str, goal_clarity: f64, priority: f64) -> Value {
    json!({"ref": gs(id), "account_ref": sf(account), "framework": "readiness",
        "scores": {"goal_clarity": goal_clarity, "priority": priority},
        "assessed_at": "2026-11-02T09:00:00Z"})
}

on_both_backends! {
    async fn an_assessment_batch_records_once_and_then_finds_it_recorded(app: &TestApp) {
        two_accounts(app).await;
        let (status, _) = stakeholder_batch(app, json!({"items": [
            {"ref": hs("c1"), "account_ref": sf("001"), "name": "Mei"}]})).await;
        assert_eq!(status, 200);
        let items = json!([
            readiness("g1", "001", 3.0, 2.0),
            readiness("g2", "002", 9.0, 2.0),
            {"ref": gs("g3"), "account_ref": sf("001"), "stakeholder_ref": hs("c1"),
             "framework": "purpose_intent", "scores": {"purpose": 8, "intent": 9},
             "assessed_at": "2026-11-02T10:00:00Z", "assessor": "jane"},
        ]);
        let (status, first) = assessment_batch(app, json!({"items": items})).await;
        assert_eq!(status, 200, "{first}");
        assert_eq!(statuses(&first), ["created", "created", "created"]);
        let g1 = first["items"][0]["id"].as_str().unwrap().to_owned();
        let (_, recorded) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/assessments/{g1}"), None).await;
        assert_eq!((&recorded["external_ref"], &recorded["assessed_at"]),
            (&gs("g1"), &json!("2026-11-02T09:00:00Z")));
        assert_eq!(recorded["results"]["classifications"][0]["cell"]["key"], "wanderer", "(3, 2) is a wanderer");

        // The sync retried: nothing is recorded twice.
        let (status, again) = assessment_batch(app, json!({"items": items})).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(statuses(&again), ["unchanged", "unchanged", "unchanged"]);
        assert_eq!(again["items"][0]["id"], json!(g1));
        let (_, listed) = app.send(ADMIN_KEY, Method::GET, "/v1/assessments", None).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 3);
        let feed = app.settled_feed("assessment.*", 3).await;
        assert_eq!(feed.len(), 3, "one event per assessment recorded");

        // Other scores under a recorded ref fail: assessments do not change.
        let (status, changed) = assessment_batch(app, json!({"items": [readiness("g1", "001", 9.0, 9.0)], "atomic": false})).await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!(statuses(&changed), ["failed"]);
        assert_eq!(changed["items"][0]["errors"][0]["field"], "items[0].ref");
        // By id, the same assessment is found; a POST of a taken ref is a conflict.
        let mut by_id = readiness("x", "001", 3.0, 2.0);
        by_id.as_object_mut().unwrap().remove("ref");
        by_id["id"] = json!(g1);
        let (_, found) = assessment_batch(app, json!({"items": [by_id]})).await;
        assert_eq!(statuses(&found), ["unchanged"]);
        let mut single = readiness("g1", "001", 5.0, 5.0);
        let reference = single.as_object_mut().unwrap().remove("ref").unwrap();
        single["external_ref"] = reference;
        let (status, _) = app.send(ADMIN_KEY, Method::POST, "/v1/assessments", Some(single)).await;
        assert_eq!(status, 409);
    }

    async fn bad_assessment_items_are_named_and_atomic_batches_record_nothing(app: &TestApp) {
        two_accounts(app).await;
        let items = json!([
            readiness("g1", "001", 3.0, 2.0),
            readiness("g2", "999", 3.0, 2.0),
            {"ref": gs("g3"), "account_ref": sf("001"), "framework": "nonesuch", "scores": {"x": 1}},
            readiness("g4", "002", 11.0, 2.0),
            {"ref": gs("g5"), "account_ref": sf("001"), "framework": "purpose_intent", "scores": {"purpose": 8, "intent": 9}},
        ]);
        let (status, problem) = assessment_batch(app, json!({"items": items})).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem_fields(&problem), ["items[1].account_ref", "items[2].framework",
            "items[3].scores.goal_clarity", "items[4].stakeholder_id"]);
        let (_, listed) = app.send(ADMIN_KEY, Method::GET, "/v1/assessments", None).await;
        assert_eq!(listed["items"], json!([]), "an atomic batch with a bad item records nothing");

        let (status, partial) = assessment_batch(app, json!({"items": items, "atomic": false})).await;
        assert_eq!(status, 200, "{partial}");
        assert_eq!(statuses(&partial), ["created", "failed", "failed", "failed", "failed"]);
        let (_, listed) = app.send(ADMIN_KEY, Method::GET, "/v1/assessments", None).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);

        for bad in [json!({"ref": gs("g9"), "account_ref": sf("001"), "framework": "readiness",
                "scores": {"goal_clarity": 1, "priority": 1}, "external_ref": gs("g9")}),
            json!({"ref": gs("g9"), "id": "01a22954-3526-7175-80f5-c757566a279c", "account_ref": sf("001"),
                "framework": "readiness", "scores": {"goal_clarity": 1, "priority": 1}})] {
            let (status, _) = assessment_batch(app, json!({"items": [bad], "atomic": false})).await;
            assert_eq!(status, 422, "a malformed item fails any batch");
        }
    }

    async fn parallel_assessment_batches_record_each_ref_once(app: &TestApp) {
        two_accounts(app).await;
        let items = |reverse: bool| -> Vec<Value> {
            let mut items: Vec<Value> = (0..20)
                .map(|i| readiness(&format!("g{i:02}"), if i % 2 == 0 { "001" } else { "002" }, 3.0, 2.0))
                .collect();
            if reverse {
                items.reverse();
            }
            items
        };
        let answers = join_all((0..4).map(|n| assessment_batch(app, json!({"items": items(n % 2 == 1)})))).await;
        let mut created = 0;
        for (status, result) in &answers {
            assert_eq!(*status, 200, "{result}");
            created += result["created"].as_u64().unwrap();
        }
        assert_eq!(created, 20, "each ref recorded by one batch; the others found it");
        let (_, listed) = app.send(ADMIN_KEY, Method::GET, "/v1/assessments?page_size=100", None).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 20);
    }

    async fn importing_assessments_over_grpc(app: &TestApp) {
        two_accounts(app).await;
        let mut c = AssessmentServiceClient::new(app.channel().await);
        let item = |id: &str, goal_clarity: f64| pb::AssessmentImportItem {
            r#ref: Some(pb::ExternalRef { system: "gainsight".into(), id: id.into() }),
            assessment: Some(pb::CreateAssessmentRequest {
                assessment: Some(pb::Assessment {
                    framework: "readiness".into(),
                    scores: [("goal_clarity".to_owned(), goal_clarity), ("priority".to_owned(), 2.0)].into(),
                    ..Default::default()
                }),
                account_ref: Some(pb::ExternalRef { system: "salesforce".into(), id: "001".into() }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let items = vec![item("g1", 3.0), item("g2", 11.0), item("g3", 9.0)];
        let refused = c
            .import_assessments(authed(ADMIN_KEY, futures_util::stream::iter(items.clone())))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument);
        assert!(refused.message().contains("items[1].scores.goal_clarity"), "{}", refused.message());
        let mut lenient = items.clone();
        lenient[0].atomic = Some(false);
        let done = c
            .import_assessments(authed(ADMIN_KEY, futures_util::stream::iter(lenient)))
            .await
            .unwrap()
            .into_inner();
        let got: Vec<&str> = done.items.iter().map(|i| i.status.as_str()).collect();
        assert_eq!(got, ["created", "failed", "created"]);
        let recorded = c
            .get_assessment(authed(ADMIN_KEY, pb::GetAssessmentRequest { id: done.items[0].id.clone() }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(recorded.external_ref.map(|r| r.id), Some("g1".to_owned()));
        let again = c
            .import_assessments(authed(ADMIN_KEY, futures_util::stream::iter(vec![item("g1", 3.0)])))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(again.items[0].status, "unchanged");
        assert_eq!(again.items[0].id, done.items[0].id);
    }
}

/// Sends `lines` as an NDJSON batch to `path`; the answer's lines, parsed.
async fn stream(app: &TestApp, path: &str, lines: &[Value]) -> Vec<Value> {
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let res = app
        .req_as(ADMIN_KEY, Method::POST, path)
        .header("content-type", "application/x-ndjson")
        .body(body.replace("\"MALFORMED\"\n", "{not json\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let text = res.text().await.unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

on_both_backends! {
    async fn an_ndjson_batch_streams_a_result_per_line_across_transactions(app: &TestApp) {
        // 2,500 lines: three transactions of up to 1,000; line 1,500 has no
        // name for its new account and line 2,100 is not JSON.
        let mut lines: Vec<Value> = (0..2500)
            .map(|i| json!({"ref": sf(&format!("{i:05}")), "name": format!("A{i}"), "attributes": {"n": i}}))
            .collect();
        lines[1500] = json!({"ref": sf("nameless")});
        lines[2100] = json!("MALFORMED");
        let results = stream(app, "/v1/accounts/batch", &lines).await;
        assert_eq!(results.len(), 2501, "a line per item and the summary");
        for (i, r) in results[..2500].iter().enumerate() {
            assert_eq!(r["index"], json!(i));
            let expected = if i == 1500 || i == 2100 { "failed" } else { "created" };
            assert_eq!(r["status"], expected, "{r}");
        }
        assert_eq!(results[1500]["errors"], json!([{"field": "items[1500].name", "message": "is required to create an account"}]));
        assert_eq!(results[2100]["errors"][0]["field"], "items[2100].line");
        assert_eq!(results[2500], json!({"summary": {"created": 2498, "updated": 0, "unchanged": 0, "failed": 2}}));
        let (_, acme) = app.send(ADMIN_KEY, Method::GET, "/v1/accounts/by-ref/salesforce/02499", None).await;
        assert_eq!((&acme["name"], &acme["attributes"]), (&json!("A2499"), &json!({"n": 2499})));

        // Again: nothing to do.
        lines[1500] = json!({"ref": sf("00000"), "segment": "smb"});
        lines[2100] = json!({"ref": sf("02100"), "name": "A2100"});
        let again = stream(app, "/v1/accounts/batch", &lines).await;
        assert_eq!(again[2500], json!({"summary": {"created": 1, "updated": 1, "unchanged": 2498, "failed": 0}}));
    }

    async fn ndjson_batches_of_stakeholders_and_assessments(app: &TestApp) {
        two_accounts(app).await;
        let people = stream(app, "/v1/stakeholders/batch", &[
            json!({"ref": hs("c1"), "account_ref": sf("001"), "name": "Mei"}),
            json!({"ref": hs("c2"), "name": "No account"}),
        ]).await;
        let statuses: Vec<&Value> = people.iter().map(|r| &r["status"]).collect();
        assert_eq!(statuses, [&json!("created"), &json!("failed"), &Value::Null]);
        assert_eq!(people[2]["summary"]["created"], 1);
        let scores = stream(app, "/v1/assessments/batch", &[readiness("g1", "001", 3.0, 2.0), readiness("g1", "001", 3.0, 2.0)]).await;
        let statuses: Vec<&Value> = scores.iter().map(|r| &r["status"]).collect();
        assert_eq!(statuses, [&json!("created"), &json!("unchanged"), &Value::Null], "the second line finds the first's");
    }
}

/// Sends `body` as a CSV batch to `path`; the answer's status and lines.
async fn csv(app: &TestApp, path: &str, body: String) -> (u16, Vec<Value>) {
    let res = app
        .req_as(ADMIN_KEY, Method::POST, path)
        .header("content-type", "text/csv; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    if status != 200 {
        return (status, vec![serde_json::from_str(&text).unwrap()]);
    }
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (status, lines)
}

on_both_backends! {
    async fn a_csv_batch_types_each_column_and_merges_like_json(app: &TestApp) {
        // 1,500 rows, two transactions; row 700 has a seat count that is no
        // number, row 1,200 a cell too few.
        let mut body = String::from("ref.system,ref.id,name,original_arr,attributes.tier,attributes.seats:number\r\n");
        for i in 0..1500 {
            let row = match i {
                700 => "salesforce,00700,A700,,gold,many".to_owned(),
                1200 => "salesforce,01200,A1200,,gold".to_owned(),
                _ => format!("salesforce,{i:05},\"Acme {i}, Inc.\",{i}.5,gold,{i}"),
            };
            body.push_str(&row);
            body.push_str("\r\n");
        }
        let (status, results) = csv(app, "/v1/accounts/batch", body).await;
        assert_eq!(status, 200);
        assert_eq!(results.len(), 1501);
        assert_eq!(results[700]["errors"], json!([{"field": "items[700].attributes.seats", "message": "is not a number"}]));
        assert_eq!(results[1200]["errors"], json!([{"field": "items[1200].row", "message": "has 5 fields; the header names 6"}]));
        assert_eq!(results[1500], json!({"summary": {"created": 1498, "updated": 0, "unchanged": 0, "failed": 2}}));
        let (_, acme) = app.send(ADMIN_KEY, Method::GET, "/v1/accounts/by-ref/salesforce/00042", None).await;
        assert_eq!(acme["name"], "Acme 42, Inc.");
        assert_eq!(acme["original_arr"], 42.5);
        assert_eq!(acme["attributes"], json!({"tier": "gold", "seats": 42}));

        // A second sheet with fewer columns and an empty cell changes only
        // what it names: the seats stay, the tier of 00042 changes.
        let body = "ref.system,ref.id,attributes.tier\nsalesforce,00042,platinum\nsalesforce,00043,\n".to_owned();
        let (_, results) = csv(app, "/v1/accounts/batch", body).await;
        assert_eq!(results[2], json!({"summary": {"created": 0, "updated": 1, "unchanged": 1, "failed": 0}}));
        let (_, acme) = app.send(ADMIN_KEY, Method::GET, "/v1/accounts/by-ref/salesforce/00042", None).await;
        assert_eq!(acme["attributes"], json!({"tier": "platinum", "seats": 42}));
    }

    async fn a_bad_csv_header_is_refused_naming_each_column(app: &TestApp) {
        let body = "ref.id,ref,name:float\n001,,Acme\n".to_owned();
        let (status, answer) = csv(app, "/v1/accounts/batch", body).await;
        assert_eq!(status, 422);
        assert_eq!(problem_fields(&answer[0]), ["header[1]", "header[2]"]);
        let (_, list) = app.send(ADMIN_KEY, Method::GET, "/v1/accounts", None).await;
        assert_eq!(list["items"], json!([]), "nothing written");
    }

    async fn csv_batches_of_stakeholders_and_assessments(app: &TestApp) {
        two_accounts(app).await;
        let people = "ref.system,ref.id,account_ref.system,account_ref.id,name,involved_in_purchase\n\
                      hubspot,c1,salesforce,001,Mei,true\n\
                      hubspot,c2,salesforce,001,Ola,maybe\n".to_owned();
        let (_, results) = csv(app, "/v1/stakeholders/batch", people).await;
        assert_eq!(results[0]["status"], "created");
        assert_eq!(results[1]["errors"], json!([{"field": "items[1].involved_in_purchase", "message": "is not true or false"}]));
        let (_, mei) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/stakeholders/{}", results[0]["id"].as_str().unwrap()), None).await;
        assert_eq!((&mei["name"], &mei["involved_in_purchase"]), (&json!("Mei"), &json!(true)));

        let scores = "ref.system,ref.id,account_ref.system,account_ref.id,framework,scores.goal_clarity,scores.priority,assessed_at\n\
                      gainsight,g1,salesforce,001,readiness,3,2,2026-11-02T09:00:00Z\n\
                      gainsight,g1,salesforce,001,readiness,3,2,2026-11-02T09:00:00Z\n".to_owned();
        let (_, results) = csv(app, "/v1/assessments/batch", scores).await;
        let statuses: Vec<&Value> = results.iter().map(|r| &r["status"]).collect();
        assert_eq!(statuses, [&json!("created"), &json!("unchanged"), &Value::Null], "the second row finds the first's");
        let (_, recorded) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/assessments/{}", results[0]["id"].as_str().unwrap()), None).await;
        assert_eq!(recorded["scores"], json!({"goal_clarity": 3.0, "priority": 2.0}));
    }
}

#[derive(diesel::QueryableByName)]
struct Analysed {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    tables: i64,
}

/// A sync's bulk writes keep PostgreSQL's planner statistics of the tables they grow up to date:
/// autovacuum would look a minute later, or never (it is off on the test machine), and without
/// them a batch's ref lookup hashes every ref of the workspace. `last_analyze` is set only by an
/// `ANALYZE` statement, never by autovacuum.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_writes_bring_postgres_planner_statistics_up_to_date() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let Some(app) = TestApp::start(Backend::Postgres).await else {
        return;
    };
    let items: Vec<Value> = (0..2000)
        .map(|i| json!({"ref": sf(&format!("S{i:05}")), "name": format!("Account {i}")}))
        .collect();
    let (status, _) = batch(&app, json!({ "items": items })).await;
    assert_eq!(status, 200);
    let mut db = AsyncPgConnection::establish(app.database_url())
        .await
        .expect("connect");
    let mut analysed = 0;
    for _ in 0..50 {
        // PostgreSQL publishes a session's row counts up to a second after its commit: a
        // later bulk write (this one changes nothing) looks at them again.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let (status, _) = batch(
            &app,
            json!({"items": [{"ref": sf("S00000"), "name": "Account 0"}]}),
        )
        .await;
        assert_eq!(status, 200);
        analysed = diesel::sql_query(
            "SELECT count(*) AS tables FROM pg_stat_user_tables \
             WHERE relname IN ('accounts', 'external_refs', 'events') AND last_analyze IS NOT NULL",
        )
        .get_result::<Analysed>(&mut db)
        .await
        .expect("statistics")
        .tables;
        if analysed == 3 {
            break;
        }
    }
    assert_eq!(analysed, 3, "accounts, their refs and events analysed");
    app.finish().await;
}
