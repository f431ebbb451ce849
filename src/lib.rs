//! csapi: an open, self-hostable customer-success API.
//!
//! Layers, inner to outer: [`domain`] (pure CS logic) → [`app`] (use cases) →
//! [`store`] (diesel, PostgreSQL or SQLite), and two doors over the same use
//! cases: `http` (axum, REST) and `grpc` (tonic). [`outbound`] is the one
//! adapter that calls out: webhook deliveries.

/// Every artifact of the crate (the service, its tests and benchmarks) runs on
/// mimalloc: a read decodes and serialises tens of small strings per row from
/// several threads at once, where glibc's allocator took a third of a feed
/// read's CPU time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod app;
pub mod domain;
pub mod grpc;
pub mod http;
pub mod logs;
pub mod metrics;
pub mod outbound;
pub mod present;
pub mod server;
pub mod store;
