//! Embedded migrations, one folder per backend with the same names in both.

use diesel_async::{AsyncMigrationHarness, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{Backend, Store, StoreError};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// The PostgreSQL advisory lock migrations run under ("csapi" in ASCII).
const MIGRATION_LOCK: i64 = 0x63_73_61_70_69;

impl Store {
    /// Applies every pending migration; safe to run on every start, and from
    /// any number of replicas at once.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let applied = match &self.backend {
            Backend::Pg(pool) => {
                // Replicas starting together take turns: the first migrates,
                // the others then find nothing pending.
                let mut conn = pool.get().await?;
                conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                    .await?;
                let mut harness = AsyncMigrationHarness::new(conn);
                let applied = harness.run_pending_migrations(POSTGRES).map(|v| v.len());
                let mut conn = harness.into_inner();
                conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                    .await?;
                applied
            }
            Backend::Sqlite { pool, writer } => {
                let _one_writer = writer.lock().await;
                let mut harness = AsyncMigrationHarness::new(pool.get().await?);
                harness.run_pending_migrations(SQLITE).map(|v| v.len())
            }
        };
        applied.map_err(|e| StoreError::Internal(format!("migrations: {e}")))
    }
}
