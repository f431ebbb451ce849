//! Integration tests: the real server over HTTP and gRPC, on SQLite and PostgreSQL.
//! One test binary, to keep link time down.

mod support;

mod accounts;
mod api_keys;
mod assessments;
mod bad_input;
mod caching;
mod changes;
mod connections;
mod custom_frameworks;
mod etags;
mod events;
mod exports;
mod framework_portfolios;
mod frameworks;
mod grpc;
mod imports;
mod integrity;
mod isolation;
mod lifecycle;
mod merge_upsert;
mod metrics;
mod openapi;
mod prioritization;
mod qbr_links;
mod rate_limits;
mod reach;
mod risks;
mod stakeholders;
mod success_plans;
mod success_plans_grpc;
mod time_zones;
mod webhooks;
