//! A table of bad requests: each gets the right status and a problem body
//! naming every bad field, and none of them changes anything.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestApp, on_both_backends};

/// One bad request and what it must get back.
struct Case {
    what: &'static str,
    method: Method,
    path: String,
    key: Option<String>,
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
    status: u16,
    fields: &'static [&'static str],
}

fn case(
    what: &'static str,
    method: Method,
    path: impl Into<String>,
    body: Option<String>,
    status: u16,
    fields: &'static [&'static str],
) -> Case {
    Case {
        what,
        method,
        path: path.into(),
        key: None,
        headers: vec![],
        body,
        status,
        fields,
    }
}

fn json_body(v: Value) -> Option<String> {
    Some(v.to_string())
}

async fn snapshot(app: &TestApp, account: &str) -> (Value, Value, Value) {
    let get = |path: String| async move {
        app.req(Method::GET, &path)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    (
        get("/v1/accounts?page_size=1000".into()).await,
        get(format!("/v1/accounts/{account}/stakeholders")).await,
        get("/v1/api-keys".into()).await,
    )
}

on_both_backends! {
    async fn bad_requests_get_problems_and_change_nothing(app: &TestApp) {
        let seed = app.account(json!({"name": "Seed", "external_refs": [{"system": "salesforce", "id": "001"}]})).await;
        let a = seed["id"].as_str().unwrap().to_owned();
        let s: Value = app
            .req(Method::POST, &format!("/v1/accounts/{a}/stakeholders"))
            .json(&json!({"name": "Jane"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let s = s["id"].as_str().unwrap().to_owned();
        let revoked: Value = app
            .req(Method::POST, "/v1/api-keys")
            .json(&json!({"name": "old", "role": "write"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let res = app.req(Method::DELETE, &format!("/v1/api-keys/{}", revoked["id"].as_str().unwrap())).send().await.unwrap();
        assert_eq!(res.status(), 204);
        let before = snapshot(app, &a).await;

        let post = |what, body, status, fields| case(what, Method::POST, "/v1/accounts", body, status, fields);
        let mut cases = vec![
            post("malformed JSON", Some("{\"name\":".into()), 400, &[]),
            post("wrong type", json_body(json!({"name": 5})), 422, &["name"]),
            post("unknown field", json_body(json!({"name": "x", "colour": "red"})), 422, &["colour"]),
            post("empty name", json_body(json!({"name": ""})), 422, &["name"]),
            post("blank name", json_body(json!({"name": "   "})), 422, &["name"]),
            post("name too long", json_body(json!({"name": "x".repeat(201)})), 422, &["name"]),
            post("bad owner email", json_body(json!({"name": "x", "owner": "jane"})), 422, &["owner"]),
            post("bad currency", json_body(json!({"name": "x", "currency": "usd"})), 422, &["currency"]),
            post("negative ARR", json_body(json!({"name": "x", "original_arr": -1})), 422, &["original_arr"]),
            post("unknown lifecycle stage", json_body(json!({"name": "x", "lifecycle_stage": "dormant"})), 422, &["lifecycle_stage"]),
            post("impossible date", json_body(json!({"name": "x", "customer_since": "2024-13-01"})), 422, &["customer_since"]),
            post("attributes not an object", json_body(json!({"name": "x", "attributes": [1]})), 422, &["attributes"]),
            post("attributes over 16 KiB", json_body(json!({"name": "x", "attributes": {"k": "v".repeat(17_000)}})), 422, &["attributes"]),
            post("body over the limit", json_body(json!({"name": "x".repeat(70_000)})), 413, &[]),
            post("blank ref id", json_body(json!({"name": "x", "external_refs": [{"system": "hubspot", "id": "1"}, {"system": "hubspot", "id": " "}]})), 422, &["external_refs[1].id"]),
            case("empty page token", Method::GET, "/v1/accounts?page_token=", None, 422, &["page_token"]),
            post("bad ref system", json_body(json!({"name": "x", "external_refs": [{"system": "Sales Force", "id": "1"}]})), 422, &["external_refs[0].system"]),
            post("many bad fields at once", json_body(json!({"name": "", "owner": "x", "currency": "xx", "bogus": 1})), 422, &["bogus", "currency", "name", "owner"]),
            post("missing name", json_body(json!({})), 422, &["name"]),
            post("not an object", json_body(json!([1])), 422, &["body"]),
            post("ref used by another account", json_body(json!({"name": "x", "external_refs": [{"system": "salesforce", "id": "001"}]})), 409, &[]),
            case("bad UUID", Method::GET, "/v1/accounts/not-a-uuid", None, 422, &["id"]),
            case("bad page token", Method::GET, "/v1/accounts?page_token=garbage", None, 422, &["page_token"]),
            case("page size 0", Method::GET, "/v1/accounts?page_size=0", None, 422, &["page_size"]),
            case("page size over 1000", Method::GET, "/v1/accounts?page_size=1001", None, 422, &["page_size"]),
            case("page size not a number", Method::GET, "/v1/accounts?page_size=abc", None, 422, &["page_size"]),
            case("bad updated_since", Method::GET, "/v1/accounts?updated_since=yesterday", None, 422, &["updated_since"]),
            case("bad currency in a patch", Method::PATCH, format!("/v1/accounts/{a}"), json_body(json!({"currency": "EURO"})), 422, &["currency"]),
            case("bad stakeholder fields", Method::POST, format!("/v1/accounts/{a}/stakeholders"), json_body(json!({"name": "x", "email": "x@", "role": "boss"})), 422, &["email", "role"]),
            case("stakeholder bad UUID", Method::PATCH, "/v1/stakeholders/123", json_body(json!({"name": "x"})), 422, &["id"]),
            case("unknown account", Method::POST, format!("/v1/accounts/{}/stakeholders", uuid::Uuid::now_v7()), json_body(json!({"name": "x"})), 404, &[]),
            case("bad system in path", Method::PUT, "/v1/accounts/by-ref/Sales%20Force/1", json_body(json!({"name": "x"})), 422, &["system"]),
            case("bad key role", Method::POST, "/v1/api-keys", json_body(json!({"name": "k", "role": "owner"})), 422, &["role"]),
            case("unknown path", Method::GET, "/v1/nothing-here", None, 404, &[]),
        ];
        let mut not_json = post("not JSON", Some("name=x".into()), 415, &[]);
        not_json.headers.push(("content-type", "text/plain".into()));
        cases.push(not_json);
        let mut long_key = post("Idempotency-Key too long", json_body(json!({"name": "x"})), 422, &["Idempotency-Key"]);
        long_key.headers.push(("idempotency-key", "k".repeat(300)));
        cases.push(long_key);
        let mut no_key = post("no API key", json_body(json!({"name": "x"})), 401, &[]);
        no_key.key = Some(String::new());
        cases.push(no_key);
        let mut unknown_key = post("unknown API key", json_body(json!({"name": "x"})), 401, &[]);
        unknown_key.key = Some("csk_not_a_real_key".into());
        cases.push(unknown_key);
        let mut revoked_key = post("revoked API key", json_body(json!({"name": "x"})), 401, &[]);
        revoked_key.key = Some(revoked["key"].as_str().unwrap().to_owned());
        cases.push(revoked_key);
        assert!(cases.len() >= 25);

        for c in cases {
            let mut req = match c.key.as_deref() {
                None => app.req(c.method.clone(), &c.path),
                Some("") => app.anonymous(c.method.clone(), &c.path),
                Some(k) => app.req_as(k, c.method.clone(), &c.path),
            };
            if let Some(body) = c.body {
                if !c.headers.iter().any(|(name, _)| *name == "content-type") {
                    req = req.header("content-type", "application/json");
                }
                req = req.body(body);
            }
            for (name, value) in &c.headers {
                req = req.header(*name, value);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status().as_u16(), c.status, "{}", c.what);
            assert_eq!(res.headers()["content-type"], "application/problem+json", "{}", c.what);
            let problem: Value = res.json().await.unwrap();
            assert_eq!(problem["status"], c.status, "{}", c.what);
            assert!(problem["type"].is_string() && problem["title"].is_string() && problem["detail"].is_string(), "{}", c.what);
            let mut fields: Vec<&str> = problem["errors"]
                .as_array()
                .map(|e| e.iter().map(|f| f["field"].as_str().unwrap()).collect())
                .unwrap_or_default();
            fields.sort();
            assert_eq!(fields, c.fields, "{}: {problem}", c.what);
        }

        assert_eq!(snapshot(app, &a).await, before, "a failed request changes nothing");
        let _ = s;
    }
}

mod control_characters {
    use reqwest::Method;
    use serde_json::{Value, json};

    use crate::support::{ADMIN_KEY, on_both_backends, problem_fields};

    on_both_backends! {
        async fn control_characters_are_refused_in_bodies_queries_and_paths(app: &TestApp) {
            let acme = app.account(json!({"name": "Acme"})).await;
            let acme_path = format!("/v1/accounts/{}", acme["id"].as_str().unwrap());
            let cases: Vec<(Method, String, Option<Value>, Vec<&str>)> = vec![
                (Method::POST, "/v1/accounts".into(),
                    Some(json!({"name": "Nul\u{0}Co", "segment": "ent\u{1b}", "external_refs": [{"system": "crm", "id": "a\u{0}"}]})),
                    vec!["external_refs[0].id", "name", "segment"]),
                (Method::PATCH, acme_path.clone(), Some(json!({"segment": "ent\u{0}"})), vec!["segment"]),
                (Method::GET, "/v1/accounts?q=%00&segment=a%01b".into(), None, vec!["q", "segment"]),
                (Method::GET, "/v1/accounts/by-ref/crm%00/001".into(), None, vec!["system"]),
                (Method::GET, "/v1/metric-sets/ad%00option".into(), None, vec!["key"]),
                (Method::POST, "/v1/assessments".into(), Some(json!({"account_id": acme["id"], "framework": "readiness",
                    "scores": {"goal_clarity": 5, "priority": 5}, "assessed_at": "+10000-01-01T00:00:00Z"})), vec!["assessed_at"]),
                (Method::GET, "/v1/accounts?updated_since=9999-12-31T23:00:00-05:00".into(), None, vec!["updated_since"]),
            ];
            for (method, path, body, fields) in cases {
                let (status, problem) = app.send(ADMIN_KEY, method.clone(), &path, body).await;
                assert_eq!((status, problem_fields(&problem)), (422, fields.iter().map(|f| f.to_string()).collect::<Vec<_>>()),
                    "{method} {path}: {problem}");
            }
            let (_, list) = app.send(ADMIN_KEY, Method::GET, "/v1/accounts", None).await;
            assert_eq!(list["items"].as_array().unwrap().len(), 1, "nothing stored");
            let (_, got) = app.send(ADMIN_KEY, Method::GET, &acme_path, None).await;
            assert_eq!(got["segment"], Value::Null, "nothing changed");
            // Free-form attributes are opaque JSON: kept exactly, escapes and all.
            let odd = json!({"raw": "a\u{0}b\u{1b}c", "k\u{7}": 1});
            let (status, _) = app.send(ADMIN_KEY, Method::PATCH, &acme_path, Some(json!({"attributes": odd}))).await;
            assert_eq!(status, 200);
            let (_, got) = app.send(ADMIN_KEY, Method::GET, &acme_path, None).await;
            assert_eq!(got["attributes"], odd);
            // Tab, LF and CR are text like any other.
            let (status, _) = app.send(ADMIN_KEY, Method::PATCH, &acme_path, Some(json!({"segment": "a\tb\r\nc"}))).await;
            assert_eq!(status, 200);
        }

        async fn null_for_a_required_field_is_refused_and_405_is_a_problem(app: &TestApp) {
            let acme = app.account(json!({"name": "Acme"})).await;
            let path = format!("/v1/accounts/{}", acme["id"].as_str().unwrap());
            let (status, problem) = app.send(ADMIN_KEY, Method::PATCH, &path, Some(json!({"name": null, "currency": null}))).await;
            assert_eq!((status, problem_fields(&problem)), (422, vec!["currency".to_owned(), "name".to_owned()]), "{problem}");
            let (_, got) = app.send(ADMIN_KEY, Method::GET, &path, None).await;
            assert_eq!(got["name"], "Acme");

            let res = app.req(Method::PUT, "/v1/accounts").send().await.unwrap();
            assert_eq!(res.status(), 405);
            assert_eq!(res.headers()["content-type"], "application/problem+json");
            let problem: Value = res.json().await.unwrap();
            assert_eq!(problem["status"], 405);
        }
    }
}

mod unknown_query_parameters {
    use reqwest::Method;
    use serde_json::Value;

    use crate::support::{ADMIN_KEY, on_both_backends, problem_fields};

    /// A value each path parameter accepts, so that the query is the only
    /// thing wrong with the request.
    fn path_value(name: &str) -> String {
        match name {
            "key" => "readiness".into(),
            "version" => "1".into(),
            "system" => "crm".into(),
            "external_id" => "001".into(),
            _ => uuid::Uuid::now_v7().to_string(),
        }
    }

    fn concrete(template: &str) -> String {
        template
            .split('/')
            .map(
                |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => path_value(name),
                    None => seg.to_owned(),
                },
            )
            .collect::<Vec<_>>()
            .join("/")
    }

    on_both_backends! {
        async fn every_operation_names_a_query_parameter_it_does_not_take(app: &TestApp) {
            let spec: Value = app.anonymous(Method::GET, "/openapi.json").send().await.unwrap().json().await.unwrap();
            let before = app.send(ADMIN_KEY, Method::GET, "/v1/accounts?page_size=1000", None).await;
            let mut checked = 0;
            for (template, item) in spec["paths"].as_object().unwrap() {
                if !template.starts_with("/v1/") {
                    continue;
                }
                for method in ["get", "post", "put", "patch", "delete"] {
                    if item.get(method).is_none() {
                        continue;
                    }
                    let path = format!("{}?region=EMEA", concrete(template));
                    let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                    let (status, problem) = app.send(ADMIN_KEY, method.clone(), &path, None).await;
                    assert_eq!(status, 422, "{method} {template}: {problem}");
                    assert_eq!(problem_fields(&problem), ["region"], "{method} {template}: {problem}");
                    let message = problem["errors"][0]["message"].as_str().unwrap();
                    assert!(message.starts_with("is not a query parameter of this operation; it takes "), "{message}");
                    checked += 1;
                }
            }
            assert!(checked >= 80, "only {checked} operations");
            let (status, problem) = app.send(ADMIN_KEY, Method::GET, "/v1/accounts?segment=x&regoin=EMEA&lifecycle_stage=onboarding", None).await;
            assert_eq!((status, problem_fields(&problem)), (422, vec!["regoin".to_owned()]));
            assert_eq!(
                problem["errors"][0]["message"],
                "is not a query parameter of this operation; it takes page_size, page_token, segment, owner, lifecycle_stage, q, updated_since, renewal_from, renewal_to"
            );
            let (status, problem) = app.send(ADMIN_KEY, Method::GET, "/v1/frameworks?page_size=2", None).await;
            assert_eq!((status, problem["errors"][0]["message"].as_str()), (422, Some("is not a query parameter of this operation; it takes none")));
            assert_eq!(app.send(ADMIN_KEY, Method::GET, "/v1/accounts?page_size=1000", None).await, before, "nothing changed");
        }
    }
}
