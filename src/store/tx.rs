//! The unit of work: one connection inside one transaction, bound to one
//! workspace. Every write goes through a [`Tx`]; the app layer opens it, runs
//! its checks and writes on it, and commits or rolls back as one.
//!
//! A `Tx` dropped without either (a cancelled request, a panic) detaches its
//! connection from the pool and closes it, so the database rolls the
//! transaction back at once instead of a pooled connection holding its locks.

use diesel::connection::AnsiTransactionManager;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, TransactionManager};
use tokio::sync::OwnedMutexGuard;
use uuid::Uuid;

use super::pool::Object;
use super::{Backend, SqliteConn, Store, StoreError};

type PgTm = <AsyncPgConnection as AsyncConnection>::TransactionManager;
type SqliteTm = <SqliteConn as AsyncConnection>::TransactionManager;

#[allow(
    clippy::large_enum_variant,
    reason = "one per open transaction, created once and never copied"
)]
pub(crate) enum TxConn {
    Pg(Object<AsyncPgConnection>),
    /// SQLite holds the one writer's lock for the whole transaction.
    Sqlite(Object<SqliteConn>, OwnedMutexGuard<()>),
}

/// An open transaction on one workspace's data.
pub struct Tx {
    pub(crate) ws: Uuid,
    conn: Option<TxConn>,
}

/// Calls `f(conn, tx.ws, args…)` from the caller's `pg`/`sqlite` module on the
/// transaction's connection.
macro_rules! in_tx {
    ($tx:expr, $f:ident ( $($arg:expr),* $(,)? )) => {{
        let ws = $tx.ws;
        match $tx.conn()? {
            $crate::store::tx::TxConn::Pg(c) => pg::$f(c, ws $(, $arg)*).await,
            $crate::store::tx::TxConn::Sqlite(c, _) => sqlite::$f(c, ws $(, $arg)*).await,
        }
    }};
}
pub(crate) use in_tx;

impl Store {
    /// Opens a transaction on workspace `ws`. On SQLite it waits for the one
    /// writer's turn and starts with `BEGIN IMMEDIATE`, so the write lock is
    /// held from the first read on.
    pub async fn begin(&self, ws: Uuid) -> Result<Tx, StoreError> {
        let conn = match &self.backend {
            Backend::Pg(pool) => {
                let mut c = pool.get().await?;
                PgTm::begin_transaction(&mut *c).await?;
                TxConn::Pg(c)
            }
            Backend::Sqlite { pool, writer } => {
                let turn = writer.clone().lock_owned().await;
                let mut c = pool.get().await?;
                c.spawn_blocking(|inner| {
                    AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")
                })
                .await?;
                TxConn::Sqlite(c, turn)
            }
        };
        Ok(Tx {
            ws,
            conn: Some(conn),
        })
    }
}

impl Tx {
    /// The workspace every statement of this transaction is bound to.
    pub fn workspace(&self) -> Uuid {
        self.ws
    }

    pub(crate) fn conn(&mut self) -> Result<&mut TxConn, StoreError> {
        self.conn
            .as_mut()
            .ok_or_else(|| StoreError::Internal("the transaction has ended".into()))
    }

    pub async fn commit(mut self) -> Result<(), StoreError> {
        match self.conn()? {
            TxConn::Pg(c) => PgTm::commit_transaction(&mut **c).await?,
            TxConn::Sqlite(c, _) => SqliteTm::commit_transaction(&mut **c).await?,
        }
        self.release();
        Ok(())
    }

    pub async fn rollback(mut self) -> Result<(), StoreError> {
        match self.conn()? {
            TxConn::Pg(c) => PgTm::rollback_transaction(&mut **c).await?,
            TxConn::Sqlite(c, _) => SqliteTm::rollback_transaction(&mut **c).await?,
        }
        self.release();
        Ok(())
    }

    /// Takes a lock named `name` in this workspace until the transaction
    /// ends, for what has no row to lock yet (a ref about to be created).
    /// SQLite needs none: its writer's turn is already exclusive.
    pub async fn lock_name(&mut self, name: &str) -> Result<(), StoreError> {
        self.advisory_lock("pg_advisory_xact_lock", name).await
    }

    /// Takes a lock named `name` as [`Tx::lock_name`] does, but shared: any
    /// number of holders, excluding one that takes it alone.
    pub async fn lock_name_shared(&mut self, name: &str) -> Result<(), StoreError> {
        self.advisory_lock("pg_advisory_xact_lock_shared", name)
            .await
    }

    async fn advisory_lock(&mut self, function: &str, name: &str) -> Result<(), StoreError> {
        let ws = self.ws;
        if let TxConn::Pg(c) = self.conn()? {
            diesel::sql_query(format!("SELECT {function}(hashtextextended($1, 0))"))
                .bind::<diesel::sql_types::Text, _>(format!("{ws}/{name}"))
                .execute(&mut **c)
                .await?;
        }
        Ok(())
    }

    /// Returns the connection to the pool (and, on SQLite, the writer's turn).
    fn release(&mut self) {
        self.conn = None;
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        match self.conn.take() {
            Some(TxConn::Pg(c)) => drop(Object::take(c)),
            Some(TxConn::Sqlite(c, turn)) => {
                drop(Object::take(c));
                drop(turn);
            }
            None => {}
        }
    }
}
