//! Planner statistics kept up with bulk writes.
//!
//! PostgreSQL plans each statement from its tables' statistics, which
//! autovacuum refreshes only once a table has changed by a tenth, looking
//! once a minute (and never when it is off). A sync's bulk import outruns
//! it: a batch that follows others which grew a table tenfold is planned as
//! if the table were still small, and a ref lookup of 1,000 ids among 80,000
//! refs hashed all 80,000 (76 ms) instead of looking each id up by its key
//! (3 ms), slower with every batch. So after a bulk write commits, the tables
//! bulk writes grow are analysed once they changed by more than a fifth
//! (and [`THRESHOLD`] rows) since their last analysis: off the request's
//! path, one refresh at a time per replica. SQLite's planner uses the indexes
//! without statistics, so there it does nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use diesel::sql_types::Text;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};

use super::{Backend, Store, StoreError};

/// Rows changed since the last analysis below which a table is left alone,
/// whatever its size.
const THRESHOLD: i64 = 1000;

/// The tables a bulk write grows.
const BULK_TABLES: &str = "'accounts', 'external_refs', 'events', 'stakeholders', \
     'assessments', 'observations', 'webhook_deliveries'";

#[derive(diesel::QueryableByName)]
struct Stale {
    #[diesel(sql_type = Text)]
    name: String,
}

/// At most one refresh of a replica's statistics at a time.
#[derive(Clone, Default)]
pub(crate) struct Refreshing(Arc<AtomicBool>);

impl Store {
    /// Starts analysing, in the background, the bulk-written tables that
    /// changed enough since their last analysis; returns at once. A refresh
    /// already running in this replica makes this a no-op.
    pub fn refresh_statistics_soon(&self) {
        let Backend::Pg(pool) = &self.backend else {
            return;
        };
        if self.refreshing.0.swap(true, Ordering::AcqRel) {
            return;
        }
        let (pool, refreshing) = (pool.clone(), self.refreshing.clone());
        tokio::spawn(async move {
            let analysed = async {
                let mut c = pool.get().await?;
                analyse_stale(&mut c).await
            }
            .await;
            if let Err(e) = analysed {
                tracing::warn!(error = %e, "refreshing planner statistics");
            }
            refreshing.0.store(false, Ordering::Release);
        });
    }
}

/// Analyses the bulk-written tables that changed by more than a fifth (and
/// [`THRESHOLD`] rows) since they were last analysed.
async fn analyse_stale(c: &mut diesel_async::AsyncPgConnection) -> Result<(), StoreError> {
    let stale: Vec<Stale> = diesel::sql_query(format!(
        "SELECT relname::text AS name FROM pg_stat_user_tables \
         WHERE schemaname = current_schema() AND relname IN ({BULK_TABLES}) \
         AND n_mod_since_analyze > {THRESHOLD} + n_live_tup / 5"
    ))
    .load(c)
    .await?;
    if stale.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = stale.into_iter().map(|s| s.name).collect();
    // The names come from the catalogue and match BULK_TABLES: plain identifiers.
    c.batch_execute(&format!("ANALYZE {}", names.join(", ")))
        .await?;
    tracing::debug!(tables = ?names, "planner statistics refreshed");
    Ok(())
}
