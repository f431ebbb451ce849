//! The document as integrators' tools read it: one `Problem` schema and one
//! shared response per error status, referenced by every operation (a
//! generated client then has one error model, not one per operation and
//! status); a request example on every body; `If-None-Match` and 304 on
//! every read; operational endpoints that need no key say so; no schema
//! that nothing uses; a server named.

use std::collections::BTreeMap;

use utoipa::openapi::Required;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, Parameter, ParameterIn, PathItem};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::Ref;
use utoipa::openapi::server::Server;
use utoipa::openapi::{OpenApi, RefOr, Response};
use utoipa::{PartialSchema, ToSchema};

use super::examples::request_example;
use super::problem::{PROBLEM_JSON, Problem};

/// Where the README's first command serves the API.
const LOCAL_SERVER: &str = "http://127.0.0.1:8080";

/// Operations anyone may call: probes, the metrics scrape and a shared QBR
/// (its link's token is the key); none is revalidated by ETag.
const OPEN: [&str; 4] = ["/healthz", "/readyz", "/metrics", "/share/qbr/{token}"];

/// `api` as the module says.
pub fn tidy(mut api: OpenApi) -> OpenApi {
    let shared = shared_answers(&mut api);
    for (path, item) in api.paths.paths.iter_mut() {
        let open = OPEN.contains(&path.as_str());
        if let Some(get) = item.get.as_mut().filter(|_| !open) {
            revalidated(get);
        }
        for op in operations(item) {
            exemplify(op);
            for (status, answer) in op.responses.responses.iter_mut() {
                if let Some(name) = response_name(status)
                    && let RefOr::T(response) = answer
                    && shared.get(&name) == Some(response)
                {
                    *answer = RefOr::Ref(Ref::from_response_name(name));
                }
            }
            if open {
                op.security = Some(Vec::new());
            }
        }
    }
    let components = api.components.get_or_insert_with(Default::default);
    let mut schemas = vec![(Problem::name().into_owned(), Problem::schema())];
    Problem::schemas(&mut schemas);
    components.schemas.extend(schemas);
    components
        .responses
        .extend(shared.into_iter().map(|(name, r)| (name, RefOr::T(r))));
    prune_unused_schemas(&mut api);
    let mut server = Server::new(LOCAL_SERVER);
    server.description = Some("csapi as the README's first command runs it".to_owned());
    api.servers = Some(vec![server]);
    api
}

/// Drops component schemas nothing refers to (a generic listing inlines its
/// item type, which utoipa registers anyway), until none is left.
fn prune_unused_schemas(api: &mut OpenApi) {
    loop {
        let text = serde_json::to_string(&*api).unwrap_or_default();
        let Some(components) = api.components.as_mut() else {
            return;
        };
        let unused: Vec<String> = components
            .schemas
            .keys()
            .filter(|name| !text.contains(&format!("\"#/components/schemas/{name}\"")))
            .cloned()
            .collect();
        if unused.is_empty() {
            return;
        }
        for name in unused {
            components.schemas.remove(&name);
        }
    }
}

/// The operation's request example, where it takes a body.
fn exemplify(op: &mut Operation) {
    let example = op.operation_id.as_deref().and_then(request_example);
    if let (Some(example), Some(body)) = (example, op.request_body.as_mut())
        && let Some(json) = body.content.get_mut("application/json")
    {
        json.example = Some(example);
    }
}

/// A read that may be revalidated (`http::caching`): `If-None-Match` in,
/// 304 out.
fn revalidated(op: &mut Operation) {
    let mut held = Parameter::new("If-None-Match");
    held.parameter_in = ParameterIn::Header;
    held.required = Required::False;
    held.description =
        Some("ETags of representations the client holds; the current one answers 304.".to_owned());
    held.schema = Some(String::schema());
    op.parameters.get_or_insert_with(Vec::new).push(held);
    let not_modified = ResponseBuilder::new()
        .description("Not modified: `If-None-Match` names the current ETag. No body.")
        .header("ETag", Header::new(String::schema()))
        .build();
    op.responses
        .responses
        .insert("304".to_owned(), RefOr::T(not_modified));
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
}

/// Points every problem answer at the `Problem` schema, and returns, per
/// status, the answer most operations give: the one they will share.
fn shared_answers(api: &mut OpenApi) -> BTreeMap<String, Response> {
    let mut seen: BTreeMap<String, Vec<(Response, usize)>> = BTreeMap::new();
    for item in api.paths.paths.values_mut() {
        for op in operations(item) {
            exemplify(op);
            for (status, answer) in op.responses.responses.iter_mut() {
                let RefOr::T(response) = answer else { continue };
                let Some(content) = response.content.get_mut(PROBLEM_JSON) else {
                    continue;
                };
                content.schema = Some(RefOr::Ref(Ref::from_schema_name(Problem::name())));
                let Some(name) = response_name(status) else {
                    continue;
                };
                let variants = seen.entry(name).or_default();
                match variants.iter_mut().find(|(r, _)| r == response) {
                    Some((_, n)) => *n += 1,
                    None => variants.push((response.clone(), 1)),
                }
            }
        }
    }
    seen.into_iter()
        .filter_map(|(name, variants)| {
            let (most, _) = variants.into_iter().max_by_key(|(_, n)| *n)?;
            Some((name, most))
        })
        .collect()
}

/// `Unprocessable Entity` for 422: the status's reason, in CamelCase.
fn response_name(status: &str) -> Option<String> {
    let code = axum::http::StatusCode::from_bytes(status.as_bytes()).ok()?;
    Some(code.canonical_reason()?.split(' ').collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_answers_are_named_by_their_status() {
        assert_eq!(response_name("422").as_deref(), Some("UnprocessableEntity"));
        assert_eq!(response_name("409").as_deref(), Some("Conflict"));
        assert_eq!(response_name("default"), None);
    }
}
