//! The REST door: axum routes over the use cases in [`crate::app`], with the
//! OpenAPI document generated from the same handlers.

mod accept;
mod accounts;
mod api_keys;
mod assessments;
mod body;
mod caching;
mod changes;
mod contract;
mod csv_body;
mod door;
mod dto;
mod examples;
mod exports;
mod extract;
mod framework_portfolio;
mod frameworks;
mod imports;
mod metrics;
mod middleware;
mod observations;
mod openapi30;
mod ops;
mod plain_text;
mod policies;
mod portfolio;
pub mod problem;
mod qbr;
mod qbr_links;
mod reply;
mod risks;
mod schema;
mod stakeholders;
mod streamed;
mod success_plans;
mod successes;
mod webhooks;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::http::{HeaderName, HeaderValue, Method, Request, header};
use axum::response::IntoResponse;
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::app::App;
use crate::metrics::Metrics;

/// What every handler and middleware of the REST door can reach; one shared
/// pointer, as every request clones it once per layer.
#[derive(Clone)]
pub struct HttpState(std::sync::Arc<HttpParts>);

/// The parts of [`HttpState`].
pub struct HttpParts {
    pub app: App,
    pub metrics: Metrics,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
}

impl HttpState {
    pub fn new(app: App, metrics: Metrics, body_limit: usize) -> Self {
        Self(std::sync::Arc::new(HttpParts {
            app,
            metrics,
            body_limit,
        }))
    }
}

impl std::ops::Deref for HttpState {
    type Target = HttpParts;

    fn deref(&self) -> &HttpParts {
        &self.0
    }
}

impl FromRef<HttpState> for App {
    fn from_ref(s: &HttpState) -> App {
        s.app.clone()
    }
}

/// Settings of the REST door.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub body_limit: usize,
    pub request_timeout: Duration,
    /// Origins allowed by CORS; empty means no CORS headers.
    pub cors_origins: Vec<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "csapi",
        description = "Open, self-hostable customer-success API: accounts, stakeholders, assessments, \
            matrices, success plans and QBR packs. Errors are RFC 9457 problems.",
        license(name = "Apache-2.0", url = "https://www.apache.org/licenses/LICENSE-2.0"),
        contact(name = "csapi", url = "https://csapi.dev")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "accounts", description = "The customers a CS team serves"),
        (name = "stakeholders", description = "The people at a customer"),
        (name = "api-keys", description = "Keys of the workspace (admin)"),
        (name = "frameworks", description = "What customers and stakeholders are scored on, and what that says"),
        (name = "matrices", description = "Which cell a customer is in, and how close to success"),
        (name = "assessments", description = "How a customer or stakeholder scored on a framework, and when"),
        (name = "prioritization", description = "Which accounts deserve high-touch support"),
        (name = "metrics", description = "Metric definitions, observations and metric sets"),
        (name = "qbr", description = "Health scores and quarterly business review packs"),
        (name = "success-plans", description = "What success means for a customer, and how far along it they are"),
        (name = "successes", description = "Captured wins, and whether they can be told, measured, reused and made to last"),
        (name = "workspace", description = "Settings of the workspace"),
        (name = "changes", description = "What changed, in commit order: the feed a sync tails"),
        (name = "webhooks", description = "Events pushed to a receiver, signed per Standard Webhooks (admin)"),
        (name = "operations", description = "Health, readiness and metrics")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The authenticated `/v1` routes.
fn v1_routes() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new()
        .routes(routes!(accounts::create, accounts::list))
        .routes(routes!(accounts::get, accounts::patch, accounts::delete))
        .routes(routes!(
            accounts::get_by_ref,
            accounts::put_by_ref,
            accounts::patch_by_ref
        ))
        .routes(routes!(stakeholders::create, stakeholders::list))
        .routes(routes!(
            stakeholders::get,
            stakeholders::patch,
            stakeholders::delete
        ))
        .routes(routes!(
            stakeholders::get_by_ref,
            stakeholders::put_by_ref,
            stakeholders::patch_by_ref
        ))
        .routes(routes!(changes::list))
        .routes(routes!(api_keys::create, api_keys::list))
        .routes(routes!(api_keys::revoke))
        .routes(routes!(qbr_links::create, qbr_links::list))
        .routes(routes!(qbr_links::revoke))
        .routes(routes!(risks::raise, risks::list))
        .routes(routes!(risks::get))
        .routes(routes!(risks::resolve))
        .routes(routes!(webhooks::create, webhooks::list))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::test))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(frameworks::list, frameworks::create))
        .routes(routes!(frameworks::get, frameworks::update))
        .routes(routes!(frameworks::get_version))
        .routes(routes!(frameworks::clone))
        .routes(routes!(frameworks::evaluate))
        .routes(routes!(framework_portfolio::portfolio))
        .routes(routes!(frameworks::list_matrices))
        .routes(routes!(frameworks::get_matrix))
        .routes(routes!(frameworks::classify))
        .routes(routes!(assessments::create, assessments::list))
        .routes(routes!(assessments::get, assessments::delete))
        .routes(routes!(portfolio::classifications))
        .routes(routes!(portfolio::portfolio))
        .routes(routes!(portfolio::transitions))
        .routes(routes!(portfolio::movements))
        .routes(routes!(portfolio::chart))
        .routes(routes!(portfolio::prioritization))
        .routes(routes!(policies::list, policies::create))
        .routes(routes!(policies::get, policies::update, policies::delete))
        .routes(routes!(
            metrics::list_definitions,
            metrics::create_definition
        ))
        .routes(routes!(metrics::get_definition, metrics::delete_definition))
        .routes(routes!(metrics::list_sets, metrics::create_set))
        .routes(routes!(
            metrics::get_set,
            metrics::update_set,
            metrics::delete_set
        ))
        .routes(routes!(metrics::get_settings, metrics::patch_settings))
        .routes(routes!(qbr::account_health))
        .routes(routes!(qbr::portfolio_health))
        .routes(routes!(qbr::qbr))
        .routes(routes!(
            success_plans::create_template,
            success_plans::list_templates
        ))
        .routes(routes!(
            success_plans::get_template,
            success_plans::update_template,
            success_plans::delete_template
        ))
        .routes(routes!(
            success_plans::create_plan,
            success_plans::list_plans
        ))
        .routes(routes!(
            success_plans::get_plan,
            success_plans::update_plan,
            success_plans::delete_plan
        ))
        .routes(routes!(success_plans::progress))
        .routes(routes!(success_plans::create_objective))
        .routes(routes!(
            success_plans::get_objective,
            success_plans::update_objective,
            success_plans::delete_objective
        ))
        .routes(routes!(success_plans::create_kpi))
        .routes(routes!(
            success_plans::get_kpi,
            success_plans::update_kpi,
            success_plans::delete_kpi
        ))
        .routes(routes!(success_plans::create_milestone))
        .routes(routes!(
            success_plans::get_milestone,
            success_plans::update_milestone,
            success_plans::delete_milestone
        ))
        .routes(routes!(successes::create, successes::list))
        .routes(routes!(successes::get, successes::patch, successes::delete))
        .routes(routes!(successes::record_reuse, successes::list_reuses))
        .routes(routes!(successes::delete_reuse))
        .routes(routes!(exports::export_accounts))
}

/// The batch routes, which accept bodies up to [`observations::BATCH_BODY_LIMIT`].
fn batch_routes() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new()
        .routes(routes!(observations::write, observations::list))
        .routes(routes!(imports::upsert_accounts))
        .routes(routes!(imports::upsert_stakeholders))
        .routes(routes!(imports::upsert_assessments))
}

/// The body limit of a path: the configured one, or more for batches.
pub(crate) fn body_limit_of(path: &str, configured: usize) -> usize {
    match path {
        "/v1/observations" => configured.max(observations::BATCH_BODY_LIMIT),
        "/v1/accounts/batch" | "/v1/stakeholders/batch" | "/v1/assessments/batch" => {
            configured.max(imports::BATCH_BODY_LIMIT)
        }
        _ => configured,
    }
}

/// The unauthenticated operational routes.
fn ops_routes() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new()
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(qbr_links::open))
}

/// The OpenAPI document, as committed in `openapi/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, v1) = v1_routes().split_for_parts();
    let (_, batch) = batch_routes().split_for_parts();
    let (_, ops) = ops_routes().split_for_parts();
    let mut api = ApiDoc::openapi();
    api.merge(v1);
    api.merge(batch);
    api.merge(ops);
    contract::tidy(plain_text::constrain(api))
}

/// The same document in OpenAPI 3.0.3, as committed in `openapi/openapi-3.0.json`.
pub fn openapi_3_0() -> serde_json::Value {
    openapi30::downgrade(serde_json::to_value(openapi()).unwrap_or_default())
}

/// Each edition of the contract, written on its first request rather than at
/// start: building it takes megabytes the heap keeps, and most replicas are
/// never asked for it.
static DOCUMENT: std::sync::OnceLock<axum::body::Bytes> = std::sync::OnceLock::new();
static DOCUMENT_3_0: std::sync::OnceLock<axum::body::Bytes> = std::sync::OnceLock::new();

async fn document() -> axum::response::Response {
    let body = DOCUMENT.get_or_init(|| serde_json::to_vec(&openapi()).unwrap_or_default().into());
    ([(header::CONTENT_TYPE, "application/json")], body.clone()).into_response()
}

async fn document_3_0() -> axum::response::Response {
    let body = DOCUMENT_3_0.get_or_init(|| {
        serde_json::to_vec(&openapi_3_0())
            .unwrap_or_default()
            .into()
    });
    ([(header::CONTENT_TYPE, "application/json")], body.clone()).into_response()
}

/// The whole REST door. Layers on a `Router` are put around each route and
/// the matched route's stack is copied for every request, so what every
/// request passes (CORS, then the [`door::Door`]: request id, span, panic
/// guard, deadline, unread bodies; the body limit) wraps the routes once;
/// only what needs the matched route (metrics by route template, the `/v1`
/// steps) sits on the routes, each one service.
pub fn router(
    state: HttpState,
    options: &HttpOptions,
) -> anyhow::Result<
    impl tower::Service<
        Request<hyper::body::Incoming>,
        Response = axum::response::Response,
        Error = std::convert::Infallible,
        Future: Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static,
> {
    let (v1, v1_doc) = v1_routes().split_for_parts();
    let (batch, batch_doc) = batch_routes().split_for_parts();
    let queries = std::sync::Arc::new(middleware::QueryNames::of(&[&v1_doc, &batch_doc]));
    let (ops, _) = ops_routes().split_for_parts();
    let batch_limit = body_limit_of("/v1/accounts/batch", options.body_limit)
        .max(body_limit_of("/v1/observations", options.body_limit));
    let v1 = v1
        .merge(batch.layer(DefaultBodyLimit::max(batch_limit)))
        .route_layer(middleware::V1StepsLayer {
            state: state.clone(),
            queries,
        });
    let routes = Router::new()
        .merge(v1)
        .merge(ops)
        .merge(SwaggerUi::new("/docs").config(utoipa_swagger_ui::Config::from("/openapi.json")))
        .route("/openapi.json", axum::routing::get(document))
        .route("/openapi-3.0.json", axum::routing::get(document_3_0))
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(ops::TrackLayer(state.metrics.clone()))
        .with_state(state);
    let routes = tower::ServiceBuilder::new()
        .layer(DefaultBodyLimit::max(options.body_limit))
        .service(routes);
    let door = door::Door::new(routes, options.request_timeout);
    Ok(tower::ServiceBuilder::new()
        .option_layer(cors(&options.cors_origins)?)
        // CORS answers preflights itself and needs a body type with a default.
        .map_response(IntoResponse::into_response)
        .service(door))
}

/// Request headers a browser may send cross-origin.
const CORS_REQUEST_HEADERS: [HeaderName; 5] = [
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    header::IF_MATCH,
    header::IF_NONE_MATCH,
    HeaderName::from_static("idempotency-key"),
];
/// Response headers a cross-origin page may read.
const CORS_EXPOSED_HEADERS: [HeaderName; 6] = [
    header::ETAG,
    header::LOCATION,
    header::RETRY_AFTER,
    HeaderName::from_static("idempotent-replayed"),
    middleware::RATE_LIMIT_POLICY,
    middleware::RATE_LIMIT,
];

/// CORS for `origins`: none when empty; `*` alone admits any origin (keys
/// travel in `Authorization`, so no credentials mode is needed or allowed).
fn cors(origins: &[String]) -> anyhow::Result<Option<CorsLayer>> {
    let origins: Vec<&str> = origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .collect();
    let allow = match origins.as_slice() {
        [] => return Ok(None),
        ["*"] => AllowOrigin::any(),
        list if list.contains(&"*") => anyhow::bail!(
            "CSAPI_CORS_ORIGINS: `*` allows every origin and cannot be listed with others; \
             give `*` alone or only exact origins such as https://app.example.com"
        ),
        list => AllowOrigin::list(
            list.iter()
                .map(|o| {
                    HeaderValue::from_str(o).map_err(|_| {
                        anyhow::anyhow!("CSAPI_CORS_ORIGINS: {o:?} is not a valid origin")
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
        ),
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers(CORS_REQUEST_HEADERS)
            .expose_headers(CORS_EXPOSED_HEADERS),
    ))
}
