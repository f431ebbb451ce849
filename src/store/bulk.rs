//! Inserting many rows at once: on PostgreSQL one statement of column
//! arrays, on SQLite a chunk of rows per statement. On SQLite every
//! statement on the async wrapper is a hop to a blocking thread, so there
//! the whole batch runs in one blocking call. (The rows write `NULL`
//! for `None`, not `DEFAULT`, which SQLite lacks: so diesel can write a
//! multi-row statement there too.)

use std::sync::LazyLock;

use diesel::sql_types::{Array, BigInt, Double, Integer, Nullable, Text};
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

/// `INSERT INTO table (c1, …) SELECT * FROM unnest($1::t1[], …)`: the rows
/// bound as one array per column.
fn unnest_insert(table: &str, columns: &[(&str, &str)]) -> String {
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let arrays: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (_, pg))| format!("${}::{pg}[]", i + 1))
        .collect();
    format!(
        "INSERT INTO {table} ({}) SELECT * FROM unnest({})",
        names.join(", "),
        arrays.join(", ")
    )
}

/// On PostgreSQL, one statement for all the rows, bound as one array per
/// column: a multi-row `VALUES` of a 10,000-account batch was ten
/// statements of 13,000 parameters each, which PostgreSQL parsed and bound
/// for a fifth of the batch's time. On SQLite, multi-row statements of
/// [`CHUNK`] rows, all in one blocking call.
macro_rules! insert_many {
    ($($row:ty => $table:ident { $($field:ident: $st:ty as $column:literal $pg:literal),+ $(,)? }),+ $(,)?) => {$(
        impl InsertMany<$row> for AsyncPgConnection {
            async fn insert_many(&mut self, rows: Vec<$row>) -> Result<(), StoreError> {
                static SQL: LazyLock<String> =
                    LazyLock::new(|| unnest_insert(stringify!($table), &[$(($column, $pg)),+]));
                if rows.is_empty() {
                    return Ok(());
                }
                diesel::sql_query(SQL.as_str())
                    $(.bind::<Array<$st>, _>(rows.iter().map(|r| &r.$field).collect::<Vec<_>>()))+
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
        workspace_id: Text as "workspace_id" "text",
        id: Text as "id" "text",
        name: Text as "name" "text",
        segment: Nullable<Text> as "segment" "text",
        owner: Nullable<Text> as "owner" "text",
        lifecycle_stage: Nullable<Text> as "lifecycle_stage" "text",
        customer_since: Nullable<Text> as "customer_since" "text",
        original_arr: Nullable<Double> as "original_arr" "float8",
        currency: Text as "currency" "text",
        attributes: Text as "attributes" "text",
        version: BigInt as "version" "int8",
        created_at: BigInt as "created_at" "int8",
        updated_at: BigInt as "updated_at" "int8",
    },
    RefRow => external_refs {
        workspace_id: Text as "workspace_id" "text",
        entity: Text as "entity" "text",
        system: Text as "system" "text",
        external_id: Text as "external_id" "text",
        entity_id: Text as "entity_id" "text",
    },
    EventRow => events {
        workspace_id: Text as "workspace_id" "text",
        id: Text as "id" "text",
        tx: BigInt as "tx" "int8",
        kind: Text as "type" "text",
        occurred_at: BigInt as "occurred_at" "int8",
        resource: Text as "resource" "text",
        resource_id: Text as "resource_id" "text",
        account_id: Nullable<Text> as "account_id" "text",
        account_refs: Text as "account_refs" "text",
        data: Text as "data" "text",
    },
    DeliveryRow => webhook_deliveries {
        workspace_id: Text as "workspace_id" "text",
        id: Text as "id" "text",
        webhook_id: Text as "webhook_id" "text",
        event_id: Text as "event_id" "text",
        event_type: Text as "event_type" "text",
        payload: Text as "payload" "text",
        status: Text as "status" "text",
        attempts: Integer as "attempts" "int4",
        next_attempt_at: Nullable<BigInt> as "next_attempt_at" "int8",
        last_attempt_at: Nullable<BigInt> as "last_attempt_at" "int8",
        last_status_code: Nullable<Integer> as "last_status_code" "int4",
        last_latency_ms: Nullable<Integer> as "last_latency_ms" "int4",
        last_error: Nullable<Text> as "last_error" "text",
        created_at: BigInt as "created_at" "int8",
    },
}
