//! Inserting many rows at once: a chunk of rows per statement. On SQLite
//! every statement on the async wrapper is a hop to a blocking thread, so
//! there the whole batch runs in one blocking call. (The rows write `NULL`
//! for `None`, not `DEFAULT`, which SQLite lacks: so diesel can write a
//! multi-row statement there too.)

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

macro_rules! insert_many {
    ($($row:ty => $table:path),+ $(,)?) => {$(
        impl InsertMany<$row> for AsyncPgConnection {
            async fn insert_many(&mut self, rows: Vec<$row>) -> Result<(), StoreError> {
                for chunk in rows.chunks(CHUNK) {
                    diesel::insert_into($table).values(chunk).execute(self).await?;
                }
                Ok(())
            }
        }

        impl InsertMany<$row> for SqliteConn {
            async fn insert_many(&mut self, rows: Vec<$row>) -> Result<(), StoreError> {
                self.spawn_blocking(move |c| {
                    for chunk in rows.chunks(CHUNK) {
                        diesel::RunQueryDsl::execute(diesel::insert_into($table).values(chunk), c)?;
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
    AccountRow => accounts::table,
    RefRow => external_refs::table,
    EventRow => events::table,
    DeliveryRow => webhook_deliveries::table,
}
