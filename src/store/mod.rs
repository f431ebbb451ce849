//! Persistence over diesel, one API for both backends.
//!
//! Query code is written once, inside [`for_each_backend!`], which compiles it
//! twice: into a `pg` module over PostgreSQL and a `sqlite` module over SQLite.
//! [`Store`] methods pick the module for the configured backend. SQLite writes
//! are serialised behind one async lock, since SQLite admits one writer anyway
//! and waiting here beats `SQLITE_BUSY` there. Reads run on a pooled
//! connection each; every write of a use case runs inside one [`Tx`].

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use diesel::SqliteConnection;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, SimpleAsyncConnection};

pub mod accounts;
pub mod assessments;
mod bulk;
pub mod definitions;
mod error;
pub mod events;
mod external_refs;
pub mod frameworks;
pub mod idempotency;
mod migrate;
pub mod observations;
mod pool;
pub mod qbr_links;
pub mod risks;
mod schema;
pub mod stakeholders;
mod statistics;
pub mod success_plans;
pub mod successes;
mod tx;
pub mod webhooks;
pub mod workspaces;

pub use error::StoreError;
use pool::{CheckedManager, Pool};
pub use tx::Tx;

pub(crate) type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// Emits the same query code once per backend, as modules `pg` and `sqlite`,
/// each with its own `Conn` type.
/// A leading `@uses [name, …]` names sibling store modules whose functions the
/// body calls; each resolves to that sibling's module for the same backend.
/// Rows per statement of a bulk read or write: far below the bind limits of
/// both backends (SQLite 32,766, PostgreSQL 65,535) at a dozen columns.
pub(crate) const CHUNK: usize = 1000;

macro_rules! for_each_backend {
    (@uses [$($dep:ident),*] $($body:tt)*) => {
        pub(crate) mod pg {
            #[allow(unused_imports)]
            use super::*;
            $(use $crate::store::$dep::pg as $dep;)*
            pub(crate) type Conn = diesel_async::AsyncPgConnection;
            $($body)*
        }
        pub(crate) mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(use $crate::store::$dep::sqlite as $dep;)*
            pub(crate) type Conn = diesel_async::sync_connection_wrapper::SyncConnectionWrapper<diesel::SqliteConnection>;
            $($body)*
        }
    };
    ($($body:tt)*) => {
        $crate::store::for_each_backend! { @uses [] $($body)* }
    };
}
pub(crate) use for_each_backend;

#[diesel::declare_sql_function]
extern "SQL" {
    /// SQL `lower`: names and filters people type match in any case.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;

    /// SQL `lower` of a column that may be NULL.
    #[sql_name = "lower"]
    fn lower_nullable(
        x: diesel::sql_types::Nullable<diesel::sql_types::Text>,
    ) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// Keeps the accounts in `$scope` (a query of accounts, or joined with them).
/// Segment and owner match in any case: `Enterprise` finds `enterprise`.
macro_rules! in_scope {
    ($q:expr, $scope:expr) => {{
        use $crate::store::schema::accounts as scoped;
        let scope: &$crate::domain::filter::AccountScope = $scope;
        let mut q = $q;
        if let Some(v) = &scope.segment {
            q = q.filter($crate::store::same_text(scoped::segment, v));
        }
        if let Some(v) = &scope.owner {
            q = q.filter($crate::store::same_text(scoped::owner, v));
        }
        if let Some(id) = scope.after {
            q = q.filter(scoped::id.gt(id.to_string()));
        }
        if let Some(id) = scope.through {
            q = q.filter(scoped::id.le(id.to_string()));
        }
        if let Some(ids) = &scope.within {
            q = q.filter(scoped::id.eq_any($crate::store::id_texts(ids)));
        }
        q
    }};
}
pub(crate) use in_scope;

/// `column` equals `value` in any case, as SQL `lower` folds them.
pub(crate) fn same_text<C>(
    column: C,
    value: &str,
) -> diesel::dsl::Eq<
    lower_nullable<C>,
    lower_nullable<
        diesel::dsl::AsExprOf<String, diesel::sql_types::Nullable<diesel::sql_types::Text>>,
    >,
>
where
    C: diesel::expression::AsExpression<diesel::sql_types::Nullable<diesel::sql_types::Text>>,
{
    use diesel::ExpressionMethods;
    lower_nullable(column).eq(lower_nullable(value.to_owned()))
}

/// Ids as the store keeps them, for an `IN` list.
pub(crate) fn id_texts(ids: &[uuid::Uuid]) -> Vec<String> {
    ids.iter().map(uuid::Uuid::to_string).collect()
}

/// Keeps the rows of `$q` whose `$col` names an account of workspace `$ws`
/// (a string) in `$scope`: a subquery on accounts, none for everyone.
macro_rules! of_accounts_in {
    ($q:expr, $col:expr, $ws:expr, $scope:expr) => {{
        use $crate::store::schema::accounts as scoped;
        let scope: &$crate::domain::filter::AccountScope = $scope;
        let mut q = $q;
        if !scope.is_everyone() {
            let ids = scoped::table
                .filter(scoped::workspace_id.eq($ws))
                .select(scoped::id)
                .into_boxed();
            q = q.filter($col.eq_any($crate::store::in_scope!(ids, scope)));
        }
        q
    }};
}
pub(crate) use of_accounts_in;

/// Calls `f(conn, args…)` from the caller's `pg`/`sqlite` module on a pooled connection.
macro_rules! run_read {
    ($store:expr, $f:ident ( $($arg:expr),* $(,)? )) => {
        match &$store.backend {
            $crate::store::Backend::Pg(pool) => {
                let mut c = pool.get().await?;
                pg::$f(&mut c, $($arg),*).await
            }
            $crate::store::Backend::Sqlite { pool, .. } => {
                let mut c = pool.get().await?;
                sqlite::$f(&mut c, $($arg),*).await
            }
        }
    };
}
pub(crate) use run_read;

/// Like [`run_read!`], holding the SQLite writer lock for the call: only for
/// maintenance outside any workspace (purges). Use cases write through a [`Tx`].
macro_rules! run_write {
    ($store:expr, $f:ident ( $($arg:expr),* $(,)? )) => {
        match &$store.backend {
            $crate::store::Backend::Pg(pool) => {
                let mut c = pool.get().await?;
                pg::$f(&mut c, $($arg),*).await
            }
            $crate::store::Backend::Sqlite { pool, writer } => {
                let _one_writer = writer.lock().await;
                let mut c = pool.get().await?;
                sqlite::$f(&mut c, $($arg),*).await
            }
        }
    };
}
pub(crate) use run_write;

#[derive(Clone)]
pub(crate) enum Backend {
    Pg(Pool<AsyncPgConnection>),
    Sqlite {
        pool: Pool<SqliteConn>,
        writer: Arc<tokio::sync::Mutex<()>>,
    },
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) backend: Backend,
    refreshing: statistics::Refreshing,
}

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `postgres://…`, `sqlite://path`, or a bare SQLite path.
    pub url: String,
    pub pool_size: usize,
    /// How long a request waits for a connection before the store counts as down.
    pub acquire_timeout: Duration,
}

/// Connection settings of SQLite. Reads map the file (up to 1 GiB) instead of
/// copying each page through `read`: a book-wide read of a large workspace
/// spent an eighth of its time in that copy.
const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA mmap_size = 1073741824;";

/// Tells SQLite that no connection is ever used by two threads at once (each
/// is owned by one pooled task at a time), so it need not lock a mutex on
/// every call, and stops it counting every allocation under another: the two
/// locks cost a tenth of a feed read's CPU time. SQLite takes these settings
/// only before its first connection opens; later calls are refused, and
/// SQLite keeps its safe defaults.
fn unshared_sqlite_connections() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use libsqlite3_sys::{SQLITE_CONFIG_MEMSTATUS, SQLITE_CONFIG_MULTITHREAD, sqlite3_config};
        // SAFETY: both options take the arguments given (none; one int), and
        // change only SQLite's global settings, which it reads when it starts.
        unsafe {
            sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
            sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int);
        }
    });
}

impl Store {
    pub async fn connect(config: &StoreConfig) -> Result<Self, StoreError> {
        let url = config.url.as_str();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut mc = ManagerConfig::default();
            mc.recycling_method = RecyclingMethod::Fast;
            let manager = AsyncDieselConnectionManager::new_with_config(url, mc);
            Backend::Pg(build_pool(manager, config)?)
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url).to_owned();
            unshared_sqlite_connections();
            let mut mc = ManagerConfig::<SqliteConn>::default();
            mc.recycling_method = RecyclingMethod::Fast;
            mc.custom_setup = Box::new(|path| {
                let path = path.to_owned();
                Box::pin(async move {
                    let mut c = SqliteConn::establish(&path).await?;
                    c.batch_execute(SQLITE_PRAGMAS)
                        .await
                        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                    Ok(c)
                })
            });
            let manager = AsyncDieselConnectionManager::new_with_config(path, mc);
            Backend::Sqlite {
                pool: build_pool(manager, config)?,
                writer: Arc::new(tokio::sync::Mutex::new(())),
            }
        };
        Ok(Self {
            backend,
            refreshing: Default::default(),
        })
    }

    /// `postgres` or `sqlite`, for logs and metrics.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Pg(_) => "postgres",
            Backend::Sqlite { .. } => "sqlite",
        }
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Pg(pool) => pool.get().await?.batch_execute("SELECT 1").await?,
            Backend::Sqlite { pool, .. } => pool.get().await?.batch_execute("SELECT 1").await?,
        }
        Ok(())
    }
}

fn build_pool<C>(
    manager: AsyncDieselConnectionManager<C>,
    config: &StoreConfig,
) -> Result<Pool<C>, StoreError>
where
    CheckedManager<C>: deadpool::managed::Manager,
{
    deadpool::managed::Pool::builder(CheckedManager(manager))
        .max_size(config.pool_size.max(1))
        .wait_timeout(Some(config.acquire_timeout))
        .create_timeout(Some(config.acquire_timeout))
        .recycle_timeout(Some(config.acquire_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| StoreError::Internal(format!("building the pool: {e}")))
}

/// Times are stored as microseconds since the Unix epoch: sortable, and the same in both backends.
pub(crate) fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(crate) fn from_micros(us: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(us).single().unwrap_or_default()
}

pub(crate) fn parse_id(s: &str) -> Result<uuid::Uuid, StoreError> {
    uuid::Uuid::parse_str(s).map_err(|e| StoreError::Internal(format!("stored id {s:?}: {e}")))
}

/// Where a page of a list starts and how long it is. Lists are ordered by id
/// (UUID v7, so by creation time) and resume after the last id seen.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub after: Option<uuid::Uuid>,
    pub limit: usize,
}

impl Page {
    /// Every row, for reads that need all of a filtered set at once.
    pub fn all() -> Self {
        Self {
            after: None,
            limit: usize::MAX,
        }
    }
}

/// `value` as a LIKE pattern that matches only itself (`%`, `_`, `\\` escaped).
pub(crate) fn like_escaped(value: &str) -> String {
    let mut p = String::with_capacity(value.len());
    for ch in value.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p
}
