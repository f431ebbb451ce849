//! csapi: an open, self-hostable customer-success API.
//!
//! Layers, inner to outer: [`domain`] (pure CS logic) → [`app`] (use cases) →
//! [`store`] (diesel, PostgreSQL or SQLite), and two doors over the same use
//! cases: `http` (axum, REST) and `grpc` (tonic). [`outbound`] is the one
//! adapter that calls out: webhook deliveries.

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
