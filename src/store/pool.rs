//! Pooled connections that cost no query to hand out on a busy pool.
//!
//! diesel-async's `Verified` recycling sends `SELECT 1` before every checkout:
//! a round trip per request. Here a checkout only checks what is free to check
//! (the connection is not marked broken, no transaction left open); a
//! connection idle for longer than [`VERIFY_AFTER_IDLE`] is verified first, so
//! after an outage the pool drops dead connections instead of lending them.
//! A connection that dies while busy fails its query with an outage error
//! (503 and `Retry-After`), is marked broken and is dropped on return.

use std::time::Duration;

use deadpool::managed::{Manager, Metrics, RecycleResult};
use diesel_async::AsyncConnection;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, PoolError};

/// How long a connection may sit unused before it is checked with a query.
const VERIFY_AFTER_IDLE: Duration = Duration::from_secs(1);

/// A pool of `C` connections lent as [`CheckedManager`] decides.
pub(crate) type Pool<C> = deadpool::managed::Pool<CheckedManager<C>>;
/// A connection on loan from a [`Pool`].
pub(crate) type Object<C> = deadpool::managed::Object<CheckedManager<C>>;

/// diesel-async's manager with `Fast` recycling, verifying only idle connections.
pub(crate) struct CheckedManager<C: 'static>(pub(crate) AsyncDieselConnectionManager<C>);

impl<C> Manager for CheckedManager<C>
where
    C: AsyncConnection + Send + 'static,
    AsyncDieselConnectionManager<C>: Manager<Type = C, Error = PoolError>,
{
    type Type = C;
    type Error = PoolError;

    async fn create(&self) -> Result<C, PoolError> {
        self.0.create().await
    }

    async fn recycle(&self, conn: &mut C, metrics: &Metrics) -> RecycleResult<PoolError> {
        self.0.recycle(conn, metrics).await?;
        if metrics.last_used() > VERIFY_AFTER_IDLE {
            conn.batch_execute("SELECT 1")
                .await
                .map_err(PoolError::QueryError)?;
        }
        Ok(())
    }
}
