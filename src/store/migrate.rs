//! Embedded migrations, one folder per backend with the same names in both.

use diesel_async::AsyncMigrationHarness;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{Backend, Store, StoreError};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

impl Store {
    /// Applies every pending migration; safe to run on every start.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let applied = match &self.backend {
            Backend::Pg(pool) => {
                let mut harness = AsyncMigrationHarness::new(pool.get().await?);
                harness.run_pending_migrations(POSTGRES).map(|v| v.len())
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
