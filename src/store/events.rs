//! The change feed's outbox: events written in the transaction of their
//! change, read back in commit order.

use diesel::pg::Pg;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel::sqlite::Sqlite;
use diesel::{
    BoolExpressionMethods, EscapeExpressionMethods, ExpressionMethods, OptionalExtension, QueryDsl,
    TextExpressionMethods,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use uuid::Uuid;

use super::bulk::{EventRow, InsertMany};
use super::schema::{event_horizons as h, events as t};
use super::tx::in_tx;
use super::{
    SqliteConn, Store, StoreError, Tx, from_micros, like_escaped, parse_id, run_read, run_write,
    to_micros,
};
use crate::domain::ExternalRef;
use crate::domain::event::{Event, FeedFilter, NewEvent, Position};

/// How a backend orders its feed by commit.
trait CommitOrder {
    /// The `tx` of a row written now.
    const TX: &'static str;
    /// Keeps the rows no still-running transaction can come before.
    const SETTLED: &'static str;
}

/// PostgreSQL: the writing transaction's id. Transactions commit in any
/// order, so a reader takes only rows older than the oldest transaction
/// still running: every row it has not seen yet then comes after its cursor.
/// (A subquery, so that the horizon is computed once per read and bounds
/// the index scan, not once per row.)
impl CommitOrder for AsyncPgConnection {
    const TX: &'static str = "pg_current_xact_id()::text::bigint";
    const SETTLED: &'static str =
        "tx < (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint)";
}

/// SQLite: one writer at a time, so a row's place among all rows written is
/// its place in commit order (counted on past the purged ones).
impl CommitOrder for SqliteConn {
    const TX: &'static str = "(MAX(COALESCE((SELECT MAX(tx) FROM events), 0), \
        COALESCE((SELECT MAX(tx) FROM event_horizons), 0)) + 1)";
    const SETTLED: &'static str = "1 = 1";
}

/// The columns a feed page selects.
type PageColumns = (
    Text,
    BigInt,
    Text,
    BigInt,
    Text,
    Text,
    Nullable<Text>,
    Text,
    Text,
);

/// A feed page's query on backend `DB`.
type PageQuery<DB> = t::BoxedQuery<'static, DB, PageColumns>;

/// How a backend reads a feed page.
trait ReadPage: AsyncConnection {
    async fn read_page(
        &mut self,
        q: PageQuery<Self::Backend>,
    ) -> Result<Vec<StoredEvent>, StoreError>;
}

impl ReadPage for AsyncPgConnection {
    /// Until `events` has statistics (autovacuum off, or a bulk import in
    /// the last minute) the planner guesses a page's range holds a hundred
    /// rows, and reads the whole rest of the feed to sort it: 40–60 ms a page
    /// at 100,000 events, growing with the feed, where the index in order
    /// takes 1 ms. Without sorts, the index in order is its only plan.
    async fn read_page(&mut self, q: PageQuery<Pg>) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = self
            .transaction::<_, diesel::result::Error, _>(async move |c| {
                c.batch_execute("SET LOCAL enable_sort = off").await?;
                q.load(c).await
            })
            .await?;
        Ok(rows)
    }
}

impl ReadPage for SqliteConn {
    /// Read on SQLite's own thread straight into rows: the async wrapper's
    /// `load` first copies each value into an owned row (two SQLite
    /// allocations and a copy per value), a fifth of a feed read's CPU time.
    async fn read_page(&mut self, q: PageQuery<Sqlite>) -> Result<Vec<StoredEvent>, StoreError> {
        Ok(self
            .spawn_blocking(move |c| diesel::RunQueryDsl::load(q, c))
            .await?)
    }
}

type StoredEvent = (
    String,
    i64,
    String,
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
);

/// A ref as an event row keeps it.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredRef<'a> {
    system: std::borrow::Cow<'a, str>,
    id: std::borrow::Cow<'a, str>,
}

fn refs_json(refs: &[ExternalRef]) -> Result<String, StoreError> {
    let stored: Vec<StoredRef> = refs
        .iter()
        .map(|r| StoredRef {
            system: r.system.as_str().into(),
            id: r.id.as_str().into(),
        })
        .collect();
    Ok(serde_json::to_string(&stored)?)
}

fn into_event(row: StoredEvent) -> Result<Event, StoreError> {
    let (id, tx, kind, occurred_at, resource, resource_id, account_id, refs, data) = row;
    let refs: Vec<StoredRef> = serde_json::from_str(&refs)?;
    let account_refs = refs
        .into_iter()
        .map(|r| ExternalRef::new(r.system, r.id))
        .collect();
    Ok(Event {
        position: Position {
            tx,
            id: parse_id(&id)?,
        },
        kind,
        occurred_at: from_micros(occurred_at),
        resource,
        resource_id,
        account_id: account_id.as_deref().map(parse_id).transpose()?,
        account_refs,
        data,
    })
}

super::for_each_backend! {
    /// Writes events: all with the `tx` of the first.
    pub(crate) async fn append(c: &mut Conn, ws: Uuid, events: &[NewEvent]) -> Result<(), StoreError> {
        let tx: i64 = diesel::select(diesel::dsl::sql::<BigInt>(<Conn as CommitOrder>::TX)).get_result(c).await?;
        let wss = ws.to_string();
        let rows: Vec<EventRow> = events
            .iter()
            .map(|e| {
                let (account_id, refs) = match &e.account {
                    Some((id, refs)) => (Some(id.to_string()), refs_json(refs)?),
                    None => (None, "[]".to_owned()),
                };
                Ok(EventRow {
                    workspace_id: wss.clone(),
                    id: e.id.to_string(),
                    tx,
                    kind: e.kind.clone(),
                    occurred_at: to_micros(e.occurred_at),
                    resource: e.resource.as_str(),
                    resource_id: e.resource_id.clone(),
                    account_id,
                    account_refs: refs,
                    data: e.data.clone(),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        c.insert_many(rows).await
    }

    /// Up to `limit` settled events after `after`, in feed order.
    pub(crate) async fn after(
        c: &mut Conn,
        ws: Uuid,
        after: Option<Position>,
        filter: &FeedFilter,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let mut q = t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(diesel::dsl::sql::<Bool>(<Conn as CommitOrder>::SETTLED))
            .into_boxed();
        if let Some(p) = after {
            // A row value, not `tx > a OR (tx = a AND id > b)`: both backends
            // read it as one range of `events_feed`, even inside one bulk
            // write's transaction of thousands of events.
            q = q.filter(
                diesel::dsl::sql::<Bool>("(tx, id) > (")
                    .bind::<BigInt, _>(p.tx)
                    .sql(", ")
                    .bind::<diesel::sql_types::Text, _>(p.id.to_string())
                    .sql(")"),
            );
        }
        if let Some(a) = filter.account_id {
            q = q.filter(t::account_id.eq(a.to_string()));
        }
        if !filter.types.is_empty() {
            let mut any: Box<dyn diesel::BoxableExpression<t::table, _, SqlType = Bool>> =
                Box::new(diesel::dsl::sql::<Bool>("1 = 0"));
            for pattern in &filter.types {
                any = match pattern.strip_suffix('*') {
                    Some(prefix) => Box::new(any.or(t::type_
                        .like(format!("{}%", like_escaped(prefix)))
                        .escape('\\'))),
                    None => Box::new(any.or(t::type_.eq(pattern.clone()))),
                };
            }
            q = q.filter(any);
        }
        let q = q
            .select((t::id, t::tx, t::type_, t::occurred_at, t::resource, t::resource_id,
                t::account_id, t::account_refs, t::data))
            .order_by((t::tx, t::id))
            .limit(limit);
        let rows = c.read_page(q).await?;
        rows.into_iter().map(into_event).collect()
    }

    /// Where retention has cut the workspace's feed, if it has.
    pub(crate) async fn horizon(c: &mut Conn, ws: Uuid) -> Result<Option<Position>, StoreError> {
        let row: Option<(i64, String)> = h::table
            .filter(h::workspace_id.eq(ws.to_string()))
            .select((h::tx, h::id))
            .first(c)
            .await
            .optional()?;
        row.map(|(tx, id)| Ok(Position { tx, id: parse_id(&id)? })).transpose()
    }

    /// Deletes events that occurred before `before` (µs), moving each
    /// workspace's horizon to the last one it deletes first.
    pub(crate) async fn prune(c: &mut Conn, before: i64) -> Result<usize, StoreError> {
        diesel::sql_query(
            "INSERT INTO event_horizons (workspace_id, tx, id) \
             SELECT workspace_id, tx, id FROM (SELECT workspace_id, tx, id, ROW_NUMBER() OVER \
               (PARTITION BY workspace_id ORDER BY tx DESC, id DESC) AS n \
               FROM events WHERE occurred_at < $1) AS last WHERE n = 1 \
             ON CONFLICT (workspace_id) DO UPDATE SET tx = excluded.tx, id = excluded.id \
             WHERE (event_horizons.tx, event_horizons.id) < (excluded.tx, excluded.id)",
        )
        .bind::<BigInt, _>(before)
        .execute(c)
        .await?;
        Ok(diesel::delete(t::table.filter(t::occurred_at.lt(before)))
            .execute(c)
            .await?)
    }
}

impl Tx {
    /// Writes `event` with the change it describes.
    pub async fn append_event(&mut self, event: &NewEvent) -> Result<(), StoreError> {
        in_tx!(self, append(std::slice::from_ref(event)))
    }

    pub async fn append_events(&mut self, events: &[NewEvent]) -> Result<(), StoreError> {
        in_tx!(self, append(events))
    }
}

impl Store {
    pub async fn events_after(
        &self,
        ws: Uuid,
        after: Option<Position>,
        filter: &FeedFilter,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        run_read!(self, after(ws, after, filter, limit))
    }

    pub async fn event_horizon(&self, ws: Uuid) -> Result<Option<Position>, StoreError> {
        run_read!(self, horizon(ws))
    }

    /// Deletes the events of every workspace that occurred before `before`.
    pub async fn prune_events(
        &self,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize, StoreError> {
        run_write!(self, prune(to_micros(before)))
    }
}
