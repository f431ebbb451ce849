//! Webhooks and their deliveries; the claims by which replicas share the
//! sending without sending one delivery twice at once.

use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};
use diesel::{
    ExpressionMethods, NullableExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::bulk::{DeliveryRow, InsertMany};
use super::schema::{events as e, webhook_deliveries as d, webhooks as w};
use super::tx::in_tx;
use super::{
    Page, SqliteConn, Store, StoreError, Tx, from_micros, parse_id, run_read, run_write, to_micros,
};
use crate::domain::event::Position;
use crate::domain::webhook::{Attempt, Delivery, DeliveryStatus, DueDelivery, Webhook};

/// How a backend takes rows no other worker holds.
trait Claiming {
    /// Appended to the subquery that picks due deliveries.
    const SKIP_LOCKED: &'static str;
    /// Appended to the read of a webhook whose events are being fanned out.
    const FOR_UPDATE: &'static str;
    /// Keeps the events every reader may see (the feed's own rule).
    const SETTLED: &'static str;
}

/// PostgreSQL: rows another transaction holds are passed over, not waited for.
impl Claiming for AsyncPgConnection {
    const SKIP_LOCKED: &'static str = " FOR UPDATE OF d2 SKIP LOCKED";
    const FOR_UPDATE: &'static str = " FOR UPDATE SKIP LOCKED";
    const SETTLED: &'static str =
        "ev.tx < (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint)";
}

/// SQLite: one writer at a time already.
impl Claiming for SqliteConn {
    const SKIP_LOCKED: &'static str = "";
    const FOR_UPDATE: &'static str = "";
    const SETTLED: &'static str = "1 = 1";
}

#[derive(diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = w)]
struct WebhookRow {
    id: String,
    url: String,
    event_types: String,
    description: String,
    enabled: bool,
    disabled_reason: Option<String>,
    failing_since: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl WebhookRow {
    fn into_webhook(self) -> Result<Webhook, StoreError> {
        Ok(Webhook {
            id: parse_id(&self.id)?,
            url: self.url,
            event_types: serde_json::from_str(&self.event_types)?,
            description: self.description,
            enabled: self.enabled,
            disabled_reason: self.disabled_reason,
            failing_since: self.failing_since.map(from_micros),
            created_at: from_micros(self.created_at),
            updated_at: from_micros(self.updated_at),
        })
    }
}

#[derive(diesel::Queryable, diesel::Selectable)]
#[diesel(table_name = d)]
struct DeliveryStored {
    id: String,
    webhook_id: String,
    event_id: String,
    event_type: String,
    status: String,
    attempts: i32,
    next_attempt_at: Option<i64>,
    last_attempt_at: Option<i64>,
    last_status_code: Option<i32>,
    last_latency_ms: Option<i32>,
    last_error: Option<String>,
    created_at: i64,
}

impl DeliveryStored {
    fn into_delivery(self) -> Result<Delivery, StoreError> {
        let status = DeliveryStatus::parse(&self.status).ok_or_else(|| {
            StoreError::Internal(format!("stored delivery {}: bad status", self.id))
        })?;
        Ok(Delivery {
            id: parse_id(&self.id)?,
            webhook_id: parse_id(&self.webhook_id)?,
            event_id: parse_id(&self.event_id)?,
            event_type: self.event_type,
            status,
            attempts: u32::try_from(self.attempts).unwrap_or_default(),
            next_attempt_at: self.next_attempt_at.map(from_micros),
            last_attempt_at: self.last_attempt_at.map(from_micros),
            last_status_code: self.last_status_code.and_then(|c| u16::try_from(c).ok()),
            last_latency_ms: self.last_latency_ms.and_then(|c| u32::try_from(c).ok()),
            last_error: self.last_error,
            created_at: from_micros(self.created_at),
        })
    }
}

/// A delivery claimed by `claim`, before its webhook is joined in.
#[derive(diesel::QueryableByName)]
struct ClaimedRow {
    #[diesel(sql_type = Text)]
    workspace_id: String,
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    webhook_id: String,
    #[diesel(sql_type = Text)]
    event_id: String,
    #[diesel(sql_type = Text)]
    payload: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
}

/// A webhook's target and keys as the sender needs them.
type Target = (String, String, String, Option<String>, Option<i64>);

/// A webhook with events after its cursor.
#[derive(diesel::QueryableByName)]
struct BehindRow {
    #[diesel(sql_type = Text)]
    workspace_id: String,
    #[diesel(sql_type = Text)]
    id: String,
}

fn delivery_row(ws: Uuid, del: &Delivery, payload: String) -> DeliveryRow {
    DeliveryRow {
        workspace_id: ws.to_string(),
        id: del.id.to_string(),
        webhook_id: del.webhook_id.to_string(),
        event_id: del.event_id.to_string(),
        event_type: del.event_type.clone(),
        payload,
        status: del.status.as_str(),
        attempts: i32::try_from(del.attempts).unwrap_or(i32::MAX),
        next_attempt_at: del.next_attempt_at.map(to_micros),
        last_attempt_at: None,
        last_status_code: None,
        last_latency_ms: None,
        last_error: None,
        created_at: to_micros(del.created_at),
    }
}

super::for_each_backend! {
    pub(crate) async fn insert(
        c: &mut Conn,
        ws: Uuid,
        hook: &Webhook,
        secret: &str,
        cursor: Position,
    ) -> Result<(), StoreError> {
        diesel::insert_into(w::table)
            .values((
                w::workspace_id.eq(ws.to_string()),
                w::id.eq(hook.id.to_string()),
                w::url.eq(&hook.url),
                w::event_types.eq(serde_json::to_string(&hook.event_types)?),
                w::description.eq(&hook.description),
                w::secret.eq(secret),
                w::enabled.eq(hook.enabled),
                w::cursor_tx.eq(cursor.tx),
                w::cursor_id.eq(cursor.id.to_string()),
                w::created_at.eq(to_micros(hook.created_at)),
                w::updated_at.eq(to_micros(hook.updated_at)),
            ))
            .execute(c)
            .await?;
        Ok(())
    }

    pub(crate) async fn get(c: &mut Conn, ws: Uuid, id: Uuid) -> Result<Option<Webhook>, StoreError> {
        let row: Option<WebhookRow> = w::table
            .filter(w::workspace_id.eq(ws.to_string()))
            .filter(w::id.eq(id.to_string()))
            .select(WebhookRow::as_select())
            .first(c)
            .await
            .optional()?;
        row.map(WebhookRow::into_webhook).transpose()
    }

    pub(crate) async fn list(c: &mut Conn, ws: Uuid, page: Page) -> Result<Vec<Webhook>, StoreError> {
        let mut q = w::table
            .filter(w::workspace_id.eq(ws.to_string()))
            .select(WebhookRow::as_select())
            .into_boxed();
        if let Some(after) = page.after {
            q = q.filter(w::id.gt(after.to_string()));
        }
        let rows: Vec<WebhookRow> = q
            .order_by(w::id)
            .limit(i64::try_from(page.limit).unwrap_or(i64::MAX))
            .load(c)
            .await?;
        rows.into_iter().map(WebhookRow::into_webhook).collect()
    }

    pub(crate) async fn update(c: &mut Conn, ws: Uuid, hook: &Webhook) -> Result<(), StoreError> {
        diesel::update(
            w::table
                .filter(w::workspace_id.eq(ws.to_string()))
                .filter(w::id.eq(hook.id.to_string())),
        )
        .set((
            w::url.eq(&hook.url),
            w::event_types.eq(serde_json::to_string(&hook.event_types)?),
            w::description.eq(&hook.description),
            w::enabled.eq(hook.enabled),
            w::disabled_reason.eq(&hook.disabled_reason),
            w::failing_since.eq(hook.failing_since.map(to_micros)),
            w::updated_at.eq(to_micros(hook.updated_at)),
        ))
        .execute(c)
        .await?;
        Ok(())
    }

    /// Makes `secret` the signing secret; the old one signs beside it until `until` (µs).
    pub(crate) async fn rotate(c: &mut Conn, ws: Uuid, id: Uuid, secret: &str, until: i64) -> Result<(), StoreError> {
        diesel::update(
            w::table
                .filter(w::workspace_id.eq(ws.to_string()))
                .filter(w::id.eq(id.to_string())),
        )
        .set((
            w::previous_secret.eq(w::secret.nullable()),
            w::previous_secret_until.eq(Some(until)),
            w::secret.eq(secret),
        ))
        .execute(c)
        .await?;
        Ok(())
    }

    /// Deletes the webhook and its deliveries; whether it existed.
    pub(crate) async fn delete(c: &mut Conn, ws: Uuid, id: Uuid) -> Result<bool, StoreError> {
        diesel::delete(
            d::table
                .filter(d::workspace_id.eq(ws.to_string()))
                .filter(d::webhook_id.eq(id.to_string())),
        )
        .execute(c)
        .await?;
        let n = diesel::delete(
            w::table
                .filter(w::workspace_id.eq(ws.to_string()))
                .filter(w::id.eq(id.to_string())),
        )
        .execute(c)
        .await?;
        Ok(n > 0)
    }

    /// The newest event of the workspace: a new webhook's feed starts after it.
    pub(crate) async fn feed_end(c: &mut Conn, ws: Uuid) -> Result<Option<Position>, StoreError> {
        let row: Option<(i64, String)> = e::table
            .filter(e::workspace_id.eq(ws.to_string()))
            .select((e::tx, e::id))
            .order_by((e::tx.desc(), e::id.desc()))
            .first(c)
            .await
            .optional()?;
        row.map(|(tx, id)| Ok(Position { tx, id: parse_id(&id)? })).transpose()
    }

    /// The webhook and its cursor, when it is enabled and no other worker
    /// is fanning out its events.
    pub(crate) async fn claim_fan_out(c: &mut Conn, ws: Uuid, id: Uuid) -> Result<Option<(Webhook, Position)>, StoreError> {
        let row: Option<CursorRow> = diesel::sql_query(format!(
            "SELECT id, url, event_types, description, enabled, disabled_reason, failing_since, \
             created_at, updated_at, cursor_tx, cursor_id FROM webhooks \
             WHERE workspace_id = $1 AND id = $2 AND enabled{}",
            <Conn as Claiming>::FOR_UPDATE
        ))
        .bind::<Text, _>(ws.to_string())
        .bind::<Text, _>(id.to_string())
        .get_result(c)
        .await
        .optional()?;
        row.map(CursorRow::into_parts).transpose()
    }

    pub(crate) async fn advance(c: &mut Conn, ws: Uuid, id: Uuid, to: Position) -> Result<(), StoreError> {
        diesel::update(
            w::table
                .filter(w::workspace_id.eq(ws.to_string()))
                .filter(w::id.eq(id.to_string())),
        )
        .set((w::cursor_tx.eq(to.tx), w::cursor_id.eq(to.id.to_string())))
        .execute(c)
        .await?;
        Ok(())
    }

    pub(crate) async fn add_deliveries(
        c: &mut Conn,
        ws: Uuid,
        deliveries: Vec<(Delivery, String)>,
    ) -> Result<(), StoreError> {
        let rows = deliveries
            .into_iter()
            .map(|(del, payload)| delivery_row(ws, &del, payload))
            .collect();
        c.insert_many(rows).await
    }

    pub(crate) async fn delivery(c: &mut Conn, ws: Uuid, hook: Uuid, id: Uuid) -> Result<Option<Delivery>, StoreError> {
        let row: Option<DeliveryStored> = d::table
            .filter(d::workspace_id.eq(ws.to_string()))
            .filter(d::webhook_id.eq(hook.to_string()))
            .filter(d::id.eq(id.to_string()))
            .select(DeliveryStored::as_select())
            .first(c)
            .await
            .optional()?;
        row.map(DeliveryStored::into_delivery).transpose()
    }

    /// A webhook's deliveries, newest first.
    pub(crate) async fn deliveries(
        c: &mut Conn,
        ws: Uuid,
        hook: Uuid,
        status: Option<DeliveryStatus>,
        page: Page,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut q = d::table
            .filter(d::workspace_id.eq(ws.to_string()))
            .filter(d::webhook_id.eq(hook.to_string()))
            .select(DeliveryStored::as_select())
            .into_boxed();
        if let Some(s) = status {
            q = q.filter(d::status.eq(s.as_str()));
        }
        if let Some(before) = page.after {
            q = q.filter(d::id.lt(before.to_string()));
        }
        let rows: Vec<DeliveryStored> = q
            .order_by(d::id.desc())
            .limit(i64::try_from(page.limit).unwrap_or(i64::MAX))
            .load(c)
            .await?;
        rows.into_iter().map(DeliveryStored::into_delivery).collect()
    }

    /// Makes a delivery due again at `now` (µs), whatever became of it.
    pub(crate) async fn rearm(c: &mut Conn, ws: Uuid, id: Uuid, now: i64) -> Result<(), StoreError> {
        diesel::update(
            d::table
                .filter(d::workspace_id.eq(ws.to_string()))
                .filter(d::id.eq(id.to_string())),
        )
        .set((d::status.eq(DeliveryStatus::Pending.as_str()), d::next_attempt_at.eq(Some(now))))
        .execute(c)
        .await?;
        Ok(())
    }

    /// Enabled webhooks with settled events after their cursor.
    pub(crate) async fn behind(c: &mut Conn) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        let rows: Vec<BehindRow> = diesel::sql_query(format!(
            "SELECT wh.workspace_id, wh.id FROM webhooks wh WHERE wh.enabled AND EXISTS \
             (SELECT 1 FROM events ev WHERE ev.workspace_id = wh.workspace_id \
              AND (ev.tx, ev.id) > (wh.cursor_tx, wh.cursor_id) AND {})",
            <Conn as Claiming>::SETTLED
        ))
        .load(c)
        .await?;
        rows.into_iter()
            .map(|r| Ok((parse_id(&r.workspace_id)?, parse_id(&r.id)?)))
            .collect()
    }

    /// Claims up to `limit` deliveries due by `now` (µs) of enabled
    /// webhooks: each counts an attempt and is not due again before
    /// `lease_until`, by when its sender has recorded what became of it
    /// (or crashed, and another worker tries again).
    pub(crate) async fn claim(c: &mut Conn, now: i64, lease_until: i64, limit: i64) -> Result<Vec<DueDelivery>, StoreError> {
        let claimed: Vec<ClaimedRow> = diesel::sql_query(format!(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = $1, \
             next_attempt_at = $2 WHERE (workspace_id, id) IN (SELECT d2.workspace_id, d2.id \
             FROM webhook_deliveries d2 JOIN webhooks w2 ON w2.workspace_id = d2.workspace_id \
             AND w2.id = d2.webhook_id WHERE d2.status = 'pending' AND d2.next_attempt_at <= $1 \
             AND w2.enabled ORDER BY d2.next_attempt_at LIMIT $3{}) \
             RETURNING workspace_id, id, webhook_id, event_id, payload, attempts",
            <Conn as Claiming>::SKIP_LOCKED
        ))
        .bind::<BigInt, _>(now)
        .bind::<BigInt, _>(lease_until)
        .bind::<BigInt, _>(limit)
        .load(c)
        .await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let targets: Vec<Target> = w::table
            .filter(w::id.eq_any(claimed.iter().map(|r| r.webhook_id.clone())))
            .select((w::id, w::url, w::secret, w::previous_secret, w::previous_secret_until))
            .load(c)
            .await?;
        claimed.into_iter().filter_map(|r| due(r, &targets, now).transpose()).collect()
    }

    /// What the attempt of a claimed delivery found, and when (µs) it is due again.
    pub(crate) async fn settle(
        c: &mut Conn,
        ws: Uuid,
        id: Uuid,
        status: DeliveryStatus,
        next: Option<i64>,
        attempt: &Attempt,
    ) -> Result<(), StoreError> {
        diesel::update(
            d::table
                .filter(d::workspace_id.eq(ws.to_string()))
                .filter(d::id.eq(id.to_string())),
        )
        .set((
            d::status.eq(status.as_str()),
            d::next_attempt_at.eq(next),
            d::last_status_code.eq(attempt.status_code.map(i32::from)),
            d::last_latency_ms.eq(i32::try_from(attempt.latency.as_millis()).unwrap_or(i32::MAX)),
            d::last_error.eq(&attempt.error),
        ))
        .execute(c)
        .await?;
        Ok(())
    }

    /// Notes a failed or a successful attempt on the webhook: when its
    /// run of failures began, or that it has none; answers the webhook.
    pub(crate) async fn note_health(c: &mut Conn, ws: Uuid, id: Uuid, failed_at: Option<i64>) -> Result<Option<Webhook>, StoreError> {
        diesel::sql_query(
            // Placeholders in order of appearance: SQLite numbers `$n` so.
            "UPDATE webhooks SET failing_since = CASE WHEN $1 THEN COALESCE(failing_since, $2) END \
             WHERE workspace_id = $3 AND id = $4",
        )
        .bind::<Bool, _>(failed_at.is_some())
        .bind::<Nullable<BigInt>, _>(failed_at)
        .bind::<Text, _>(ws.to_string())
        .bind::<Text, _>(id.to_string())
        .execute(c)
        .await?;
        get(c, ws, id).await
    }
}

/// The webhook read for a fan-out, with its cursor.
#[derive(diesel::QueryableByName)]
struct CursorRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Text)]
    event_types: String,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = Bool)]
    enabled: bool,
    #[diesel(sql_type = Nullable<Text>)]
    disabled_reason: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    failing_since: Option<i64>,
    #[diesel(sql_type = BigInt)]
    created_at: i64,
    #[diesel(sql_type = BigInt)]
    updated_at: i64,
    #[diesel(sql_type = BigInt)]
    cursor_tx: i64,
    #[diesel(sql_type = Text)]
    cursor_id: String,
}

impl CursorRow {
    fn into_parts(self) -> Result<(Webhook, Position), StoreError> {
        let at = Position {
            tx: self.cursor_tx,
            id: parse_id(&self.cursor_id)?,
        };
        let hook = WebhookRow {
            id: self.id,
            url: self.url,
            event_types: self.event_types,
            description: self.description,
            enabled: self.enabled,
            disabled_reason: self.disabled_reason,
            failing_since: self.failing_since,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
        .into_webhook()?;
        Ok((hook, at))
    }
}

/// A claimed delivery with its webhook's target; none if the webhook went.
fn due(r: ClaimedRow, targets: &[Target], now: i64) -> Result<Option<DueDelivery>, StoreError> {
    let Some((_, url, secret, previous, until)) = targets.iter().find(|t| t.0 == r.webhook_id)
    else {
        return Ok(None);
    };
    let mut secrets = vec![secret.clone()];
    if let (Some(p), Some(until)) = (previous, until)
        && *until > now
    {
        secrets.push(p.clone());
    }
    Ok(Some(DueDelivery {
        workspace_id: parse_id(&r.workspace_id)?,
        id: parse_id(&r.id)?,
        webhook_id: parse_id(&r.webhook_id)?,
        event_id: parse_id(&r.event_id)?,
        payload: r.payload,
        attempts: u32::try_from(r.attempts).unwrap_or_default(),
        url: url.clone(),
        secrets,
    }))
}

impl Tx {
    pub async fn insert_webhook(
        &mut self,
        hook: &Webhook,
        secret: &str,
        cursor: Position,
    ) -> Result<(), StoreError> {
        in_tx!(self, insert(hook, secret, cursor))
    }

    /// The webhook, held until the transaction ends (PostgreSQL), so two
    /// updates of it queue instead of losing one.
    pub async fn webhook_for_update(&mut self, id: Uuid) -> Result<Option<Webhook>, StoreError> {
        self.lock_name(&format!("webhook/{id}")).await?;
        in_tx!(self, get(id))
    }

    pub async fn update_webhook(&mut self, hook: &Webhook) -> Result<(), StoreError> {
        in_tx!(self, update(hook))
    }

    pub async fn rotate_webhook_secret(
        &mut self,
        id: Uuid,
        secret: &str,
        previous_until: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        in_tx!(self, rotate(id, secret, to_micros(previous_until)))
    }

    pub async fn delete_webhook(&mut self, id: Uuid) -> Result<bool, StoreError> {
        in_tx!(self, delete(id))
    }

    /// Where the workspace's feed ends now.
    pub async fn feed_end(&mut self) -> Result<Option<Position>, StoreError> {
        in_tx!(self, feed_end())
    }

    pub async fn claim_fan_out(
        &mut self,
        id: Uuid,
    ) -> Result<Option<(Webhook, Position)>, StoreError> {
        in_tx!(self, claim_fan_out(id))
    }

    pub async fn advance_webhook(&mut self, id: Uuid, to: Position) -> Result<(), StoreError> {
        in_tx!(self, advance(id, to))
    }

    /// Adds deliveries, each with the body every attempt sends.
    pub async fn add_deliveries(
        &mut self,
        deliveries: Vec<(Delivery, String)>,
    ) -> Result<(), StoreError> {
        in_tx!(self, add_deliveries(deliveries))
    }

    pub async fn delivery(&mut self, hook: Uuid, id: Uuid) -> Result<Option<Delivery>, StoreError> {
        in_tx!(self, delivery(hook, id))
    }

    pub async fn rearm_delivery(
        &mut self,
        id: Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        in_tx!(self, rearm(id, to_micros(now)))
    }

    /// Records a run of failures starting at `failed_at`, or none.
    pub async fn note_webhook_health(
        &mut self,
        id: Uuid,
        failed_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Option<Webhook>, StoreError> {
        in_tx!(self, note_health(id, failed_at.map(to_micros)))
    }

    pub async fn settle_delivery(
        &mut self,
        id: Uuid,
        status: DeliveryStatus,
        next: Option<chrono::DateTime<chrono::Utc>>,
        attempt: &Attempt,
    ) -> Result<(), StoreError> {
        in_tx!(self, settle(id, status, next.map(to_micros), attempt))
    }
}

impl Store {
    pub async fn webhook(&self, ws: Uuid, id: Uuid) -> Result<Option<Webhook>, StoreError> {
        run_read!(self, get(ws, id))
    }

    pub async fn webhooks(&self, ws: Uuid, page: Page) -> Result<Vec<Webhook>, StoreError> {
        run_read!(self, list(ws, page))
    }

    pub async fn webhook_deliveries(
        &self,
        ws: Uuid,
        hook: Uuid,
        status: Option<DeliveryStatus>,
        page: Page,
    ) -> Result<Vec<Delivery>, StoreError> {
        run_read!(self, deliveries(ws, hook, status, page))
    }

    /// Enabled webhooks of every workspace with events still to fan out.
    pub async fn webhooks_behind(&self) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        run_read!(self, behind())
    }

    /// Claims due deliveries of every workspace for this worker.
    pub async fn claim_deliveries(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        lease_until: chrono::DateTime<chrono::Utc>,
        limit: i64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        run_write!(self, claim(to_micros(now), to_micros(lease_until), limit))
    }
}
