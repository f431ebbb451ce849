//! Inserting many rows at once: on PostgreSQL one statement of column
//! arrays, on SQLite a chunk of rows per statement. On SQLite every
//! statement on the async wrapper is a hop to a blocking thread, so there
//! the whole batch runs in one blocking call. (The rows write `NULL`
//! for `None`, not `DEFAULT`, which SQLite lacks: so diesel can write a
//! multi-row statement there too.)

use std::sync::LazyLock;

use diesel::sql_types::Array;
use diesel::{Column, Expression};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::{accounts, events, external_refs, webhook_deliveries};
use super::{CHUNK, SqliteConn, StoreError};

/// An account as stored.
#[derive(diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = accounts, treat_none_as_default_value = false)]
pub(crate) struct AccountRow {
    pub workspace_id: String,
    pub id: String,
    pub name: String,
    pub segment: Option<String>,
    pub owner: Option<String>,
    pub lifecycle_stage: Option<String>,
    pub customer_since: Option<String>,
    pub original_arr: Option<f64>,
    pub currency: String,
    pub attributes: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub renewal_date: Option<String>,
    pub contract_end: Option<String>,
    pub current_arr: Option<f64>,
}

/// A ref of an account or stakeholder as stored.
#[derive(diesel::Insertable)]
#[diesel(table_name = external_refs)]
pub(crate) struct RefRow {
    pub workspace_id: String,
    pub entity: &'static str,
    pub system: String,
    pub external_id: String,
    pub entity_id: String,
}

/// An event as stored.
#[derive(diesel::Insertable)]
#[diesel(table_name = events, treat_none_as_default_value = false)]
pub(crate) struct EventRow {
    pub workspace_id: String,
    pub id: String,
    pub tx: i64,
    #[diesel(column_name = type_)]
    pub kind: String,
    pub occurred_at: i64,
    pub resource: &'static str,
    pub resource_id: String,
    pub account_id: Option<String>,
    pub account_refs: String,
    pub data: String,
}

/// A webhook delivery as stored.
#[derive(diesel::Insertable)]
#[diesel(table_name = webhook_deliveries, treat_none_as_default_value = false)]
pub(crate) struct DeliveryRow {
    pub workspace_id: String,
    pub id: String,
    pub webhook_id: String,
    pub event_id: String,
    pub event_type: String,
    pub payload: String,
    pub status: &'static str,
    pub attempts: i32,
    pub next_attempt_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub last_status_code: Option<i32>,
    pub last_latency_ms: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: i64,
}

/// Inserts rows of one table many at a time.
pub(crate) trait InsertMany<R> {
    async fn insert_many(&mut self, rows: Vec<R>) -> Result<(), StoreError>;
}

/// `INSERT INTO table (c1, …) SELECT * FROM unnest($1, …)`: the rows bound
/// as one array per column (each bound with its array type, so no casts).
fn unnest_insert(table: &str, columns: &[&str]) -> String {
    let arrays: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO {table} ({}) SELECT * FROM unnest({})",
        columns.join(", "),
        arrays.join(", ")
    )
}

/// The schema's column a row's field is written to: the field's own name,
/// unless given.
macro_rules! column_of {
    ($table:ident, $field:ident) => {
        $table::$field
    };
    ($table:ident, $field:ident = $column:ident) => {
        $table::$column
    };
}

/// On PostgreSQL, one statement for all the rows, bound as one array per
/// column: a multi-row `VALUES` of a 10,000-account batch was ten
/// statements of 13,000 parameters each, which PostgreSQL parsed and bound
/// for a fifth of the batch's time. On SQLite, multi-row statements of
/// [`CHUNK`] rows, all in one blocking call.
macro_rules! insert_many {
    ($($row:ty => $table:ident { $($field:ident $(= $column:ident)?),+ $(,)? }),+ $(,)?) => {$(
        impl InsertMany<$row> for AsyncPgConnection {
            async fn insert_many(&mut self, rows: Vec<$row>) -> Result<(), StoreError> {
                static SQL: LazyLock<String> = LazyLock::new(|| {
                    unnest_insert(
                        stringify!($table),
                        &[$(<column_of!($table, $field $(= $column)?) as Column>::NAME),+],
                    )
                });
                if rows.is_empty() {
                    return Ok(());
                }
                diesel::sql_query(SQL.as_str())
                    $(.bind::<Array<<column_of!($table, $field $(= $column)?) as Expression>::SqlType>, _>(
                        rows.iter().map(|r| &r.$field).collect::<Vec<_>>(),
                    ))+
                    .execute(self)
                    .await?;
                Ok(())
            }
        }

        impl InsertMany<$row> for SqliteConn {
            async fn insert_many(&mut self, rows: Vec<$row>) -> Result<(), StoreError> {
                self.spawn_blocking(move |c| {
                    for chunk in rows.chunks(CHUNK) {
                        diesel::RunQueryDsl::execute(diesel::insert_into($table::table).values(chunk), c)?;
                    }
                    Ok(())
                })
                .await?;
                Ok(())
            }
        }
    )+};
}

insert_many! {
    AccountRow => accounts {
        workspace_id, id, name, segment, owner, lifecycle_stage, customer_since, original_arr,
        currency, attributes, version, created_at, updated_at, renewal_date, contract_end,
        current_arr,
    },
    RefRow => external_refs { workspace_id, entity, system, external_id, entity_id },
    EventRow => events {
        workspace_id, id, tx, kind = type_, occurred_at, resource, resource_id, account_id,
        account_refs, data,
    },
    DeliveryRow => webhook_deliveries {
        workspace_id, id, webhook_id, event_id, event_type, payload, status, attempts,
        next_attempt_at, last_attempt_at, last_status_code, last_latency_ms, last_error,
        created_at,
    },
}
