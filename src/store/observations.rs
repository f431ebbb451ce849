//! Metric observations: batch upserts, lists, and the reads a QBR and a
//! portfolio health make; plus the classifications and equation values the
//! derived metrics rest on.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::upsert::excluded;
use diesel::{
    BoolExpressionMethods, ExpressionMethods, JoinOnDsl, NullableExpressionMethods, QueryDsl,
};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::definitions::Kind;
use super::schema::{
    accounts as a, assessments as asm, classifications as c, definitions as d, external_refs as r,
    observations as o, stakeholders as s,
};
use super::tx::in_tx;
use super::{
    CHUNK, Store, StoreError, Tx, from_micros, of_accounts_in, parse_id, run_read, to_micros,
};
use crate::domain::filter::{AccountScope, Accounts, ObservationFilter};
use crate::domain::framework::Attainment;
use crate::domain::observation::{Observation, ObservationCursor};
use crate::domain::qbr::Classified;

/// Rows per statement: under SQLite's bound-parameter limit with room to spare.

#[derive(diesel::Insertable)]
#[diesel(table_name = o)]
struct ObservationRow<'a> {
    workspace_id: &'a str,
    account_id: String,
    metric: &'a str,
    observed_at: i64,
    value: f64,
}

impl<'a> ObservationRow<'a> {
    fn new(ws: &'a str, x: &'a Observation) -> Self {
        Self {
            workspace_id: ws,
            account_id: x.account_id.to_string(),
            metric: &x.metric,
            observed_at: to_micros(x.observed_at),
            value: x.value,
        }
    }
}

/// A batch upsert in the form each backend does fastest. On PostgreSQL one
/// statement for the whole batch, its columns bound as four arrays and
/// unnested (one round trip, one plan, no parameter limit); tried first as a
/// plain insert inside a savepoint, since rows are new in the common case and
/// `ON CONFLICT` pays a second index search per row to find out; on a
/// conflict the savepoint is rolled back and the batch upserted. On SQLite
/// one prepared statement per row (in-process, where diesel has no multi-row
/// upsert), all in one blocking call.
pub(crate) trait UpsertObservations {
    async fn upsert_observations(
        &mut self,
        ws: Uuid,
        rows: &[Observation],
    ) -> Result<(), StoreError>;
}

/// Rows as the columns PostgreSQL unnests.
struct Columns<'a> {
    workspace: String,
    accounts: Vec<String>,
    metrics: Vec<&'a str>,
    instants: Vec<i64>,
    values: Vec<f64>,
}

impl<'a> Columns<'a> {
    fn of(ws: Uuid, rows: &'a [Observation]) -> Self {
        let mut c = Columns {
            workspace: ws.to_string(),
            accounts: Vec::with_capacity(rows.len()),
            metrics: Vec::with_capacity(rows.len()),
            instants: Vec::with_capacity(rows.len()),
            values: Vec::with_capacity(rows.len()),
        };
        for x in rows {
            c.accounts.push(x.account_id.to_string());
            c.metrics.push(x.metric.as_str());
            c.instants.push(to_micros(x.observed_at));
            c.values.push(x.value);
        }
        c
    }

    /// `INSERT … SELECT FROM unnest(…)` followed by `tail`.
    async fn insert(
        &self,
        c: &mut diesel_async::AsyncPgConnection,
        tail: &str,
    ) -> Result<usize, diesel::result::Error> {
        use diesel::sql_types::{Array, BigInt, Double, Text};
        diesel::sql_query(format!(
            "INSERT INTO observations (workspace_id, account_id, metric, observed_at, value) \
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int8[], $5::float8[]) {tail}"
        ))
        .bind::<Text, _>(&self.workspace)
        .bind::<Array<Text>, _>(&self.accounts)
        .bind::<Array<Text>, _>(&self.metrics)
        .bind::<Array<BigInt>, _>(&self.instants)
        .bind::<Array<Double>, _>(&self.values)
        .execute(c)
        .await
    }
}

/// Finds the accounts of one system's external ids.
trait RefLookup {
    /// `(external id, account id)` of those of `ids` an account of `ws` has.
    async fn accounts_of_refs(
        &mut self,
        ws: Uuid,
        system: &str,
        ids: &[&str],
    ) -> Result<Vec<(String, String)>, StoreError>;
}

/// A row of the PostgreSQL lookup.
#[derive(diesel::QueryableByName)]
struct Found {
    #[diesel(sql_type = diesel::sql_types::Text)]
    external_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    entity_id: String,
}

/// PostgreSQL: the ids joined with the refs' key, one key lookup each. As
/// `external_id = ANY($ids)`, a plan made before the table's statistics
/// (a fresh workspace's first syncs) may scan every ref of the workspace
/// and compare each with every id.
impl RefLookup for diesel_async::AsyncPgConnection {
    async fn accounts_of_refs(
        &mut self,
        ws: Uuid,
        system: &str,
        ids: &[&str],
    ) -> Result<Vec<(String, String)>, StoreError> {
        use diesel::sql_types::{Array, Text};
        let found: Vec<Found> = diesel::sql_query(
            "SELECT r.external_id, r.entity_id FROM unnest($3::text[]) AS x(external_id) \
             JOIN external_refs r ON r.workspace_id = $1 AND r.entity = 'account' \
             AND r.system = $2 AND r.external_id = x.external_id",
        )
        .bind::<Text, _>(ws.to_string())
        .bind::<Text, _>(system)
        .bind::<Array<Text>, _>(ids)
        .load(self)
        .await?;
        Ok(found
            .into_iter()
            .map(|f| (f.external_id, f.entity_id))
            .collect())
    }
}

/// SQLite: an `IN` list, which it looks up in the refs' key.
impl RefLookup for super::SqliteConn {
    async fn accounts_of_refs(
        &mut self,
        ws: Uuid,
        system: &str,
        ids: &[&str],
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(r::table
            .filter(r::workspace_id.eq(ws.to_string()))
            .filter(r::entity.eq("account"))
            .filter(r::system.eq(system))
            .filter(r::external_id.eq_any(ids))
            .select((r::external_id, r::entity_id))
            .load(self)
            .await?)
    }
}

impl UpsertObservations for diesel_async::AsyncPgConnection {
    async fn upsert_observations(
        &mut self,
        ws: Uuid,
        rows: &[Observation],
    ) -> Result<(), StoreError> {
        use diesel::result::{DatabaseErrorKind, Error};
        use diesel_async::SimpleAsyncConnection;
        let columns = Columns::of(ws, rows);
        self.batch_execute("SAVEPOINT new_observations").await?;
        match columns.insert(self, "").await {
            Ok(_) => {
                self.batch_execute("RELEASE SAVEPOINT new_observations")
                    .await?
            }
            Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                self.batch_execute("ROLLBACK TO SAVEPOINT new_observations")
                    .await?;
                columns
                    .insert(
                        self,
                        "ON CONFLICT (workspace_id, account_id, metric, observed_at) \
                         DO UPDATE SET value = EXCLUDED.value",
                    )
                    .await?;
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }
}

impl UpsertObservations for super::SqliteConn {
    async fn upsert_observations(
        &mut self,
        ws: Uuid,
        rows: &[Observation],
    ) -> Result<(), StoreError> {
        let rows = rows.to_vec();
        self.spawn_blocking(move |c| {
            let wss = ws.to_string();
            for x in &rows {
                let upsert = diesel::insert_into(o::table)
                    .values(ObservationRow::new(&wss, x))
                    .on_conflict((o::workspace_id, o::account_id, o::metric, o::observed_at))
                    .do_update()
                    .set(o::value.eq(excluded(o::value)));
                diesel::RunQueryDsl::execute(upsert, c)?;
            }
            Ok(())
        })
        .await?;
        Ok(())
    }
}

type Stored = (String, String, i64, f64);

/// A row of [`latest_sql`].
#[derive(diesel::QueryableByName)]
struct Latest {
    #[diesel(sql_type = diesel::sql_types::Text)]
    account_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    metric: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    observed_at: i64,
    #[diesel(sql_type = diesel::sql_types::Double)]
    value: f64,
}

/// Each (account, metric)'s latest observation before `$2`, of workspace
/// `$1`, metrics `$3…`, among the accounts `admitted` (a condition on
/// `account_id`). Written once for both backends: SQLite numbers `$n`
/// parameters in order of first use, so they must first appear in order.
fn latest_sql(metrics: usize, admitted: &str) -> String {
    let list: Vec<String> = (0..metrics).map(|i| format!("${}", i + 3)).collect();
    format!(
        "SELECT o.account_id, o.metric, o.observed_at, o.value FROM observations o \
         JOIN (SELECT account_id, metric, MAX(observed_at) AS at FROM observations \
               WHERE workspace_id = $1 AND observed_at < $2 AND metric IN ({}) AND {admitted} \
               GROUP BY account_id, metric) l \
         ON o.workspace_id = $1 AND o.account_id = l.account_id \
            AND o.metric = l.metric AND o.observed_at = l.at",
        list.join(", ")
    )
}

/// Whose latest observations a read wants: a scope's accounts, or only
/// those of them with an active plan (whose KPIs read them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holders {
    Every,
    Planned,
}

/// The condition admitting the accounts of `scope` (with an active plan,
/// for [`Holders::Planned`]); its values are pushed onto `binds` (numbered
/// after `$1`, `$2`).
fn admitted_accounts(scope: &AccountScope, holders: Holders, binds: &mut Vec<String>) -> String {
    let mut conditions = Vec::new();
    if holders == Holders::Planned {
        conditions.push(String::from(
            "account_id IN (SELECT account_id FROM success_plans \
             WHERE workspace_id = $1 AND status = 'active')",
        ));
    }
    if !scope.is_everyone() {
        let mut sql =
            String::from("account_id IN (SELECT id FROM accounts WHERE workspace_id = $1");
        let after = scope.after.map(|id| id.to_string());
        let through = scope.through.map(|id| id.to_string());
        for (condition, value) in [
            ("lower(segment) = lower", &scope.segment),
            ("lower(owner) = lower", &scope.owner),
            ("id >", &after),
            ("id <=", &through),
        ] {
            if let Some(v) = value {
                binds.push(v.clone());
                sql.push_str(&format!(" AND {condition}(${})", binds.len() + 2));
            }
        }
        if let Some(within) = &scope.within {
            let mut list = Vec::with_capacity(within.len());
            for id in within.iter() {
                binds.push(id.to_string());
                list.push(format!("${}", binds.len() + 2));
            }
            sql.push_str(&format!(" AND id IN ({})", list.join(", ")));
        }
        sql.push(')');
        conditions.push(sql);
    }
    if conditions.is_empty() {
        return String::from("1 = 1");
    }
    conditions.join(" AND ")
}

fn observation((account, metric, at, value): Stored) -> Result<Observation, StoreError> {
    Ok(Observation {
        account_id: parse_id(&account)?,
        metric,
        observed_at: from_micros(at),
        value,
    })
}

/// A classification and, for a stakeholder's, what their view weighs.
type ClassifiedRow = (
    String,
    String,
    String,
    f64,
    i64,
    Option<String>,
    Option<bool>,
    Option<String>,
);

/// The columns of a [`ClassifiedRow`].
macro_rules! classified_columns {
    () => {
        (
            c::matrix,
            c::subject_id,
            c::cell,
            c::closeness,
            c::assessed_at,
            s::role.nullable(),
            s::involved_in_purchase.nullable(),
            s::left_on.nullable(),
        )
    };
}

/// Classifications with their stakeholder, if any.
macro_rules! with_stakeholders {
    () => {
        c::table.left_join(
            s::table.on(s::workspace_id
                .eq(c::workspace_id)
                .and(s::id.nullable().eq(c::stakeholder_id))),
        )
    };
}

fn classified(
    (matrix, subject, cell, closeness, at, role, involved, left_on): ClassifiedRow,
) -> Result<Classified, StoreError> {
    let left_on = match left_on {
        Some(d) => Some(d.parse().map_err(|_| {
            StoreError::Internal(format!("stored stakeholder {subject}: bad left_on"))
        })?),
        None => None,
    };
    Ok(Classified {
        matrix,
        subject_id: parse_id(&subject)?,
        cell,
        closeness,
        assessed_at: from_micros(at),
        role: role.as_deref().and_then(|r| r.parse().ok()),
        involved_in_purchase: involved.unwrap_or(false),
        left_on,
    })
}

super::for_each_backend! {
    /// Writes every observation in one transaction; an existing
    /// (account, metric, instant) takes the new value.
    pub(crate) async fn upsert(c: &mut Conn, ws: Uuid, rows: &[Observation]) -> Result<(), StoreError> {
        c.upsert_observations(ws, rows).await
    }

    /// Deletes a custom metric with every observation of it; `false` when there is no such metric.
    pub(crate) async fn delete_metric(c: &mut Conn, ws: Uuid, key: &str) -> Result<bool, StoreError> {
        let wss = ws.to_string();
        diesel::delete(o::table.filter(o::workspace_id.eq(&wss)).filter(o::metric.eq(key)))
            .execute(c)
            .await?;
        let n = diesel::delete(
            d::table
                .filter(d::workspace_id.eq(&wss))
                .filter(d::kind.eq(Kind::Metric.as_str()))
                .filter(d::key.eq(key)),
        )
        .execute(c)
        .await?;
        Ok(n == 1)
    }

    pub(crate) async fn list(
        c: &mut Conn,
        ws: Uuid,
        f: &ObservationFilter,
        after: Option<&ObservationCursor>,
        limit: i64,
    ) -> Result<Vec<Observation>, StoreError> {
        let mut q = o::table
            .filter(o::workspace_id.eq(ws.to_string()))
            .select((o::account_id, o::metric, o::observed_at, o::value))
            .into_boxed();
        if let Some(v) = f.account_id {
            q = q.filter(o::account_id.eq(v.to_string()));
        }
        if let Some(v) = &f.metric {
            q = q.filter(o::metric.eq(v.clone()));
        }
        if let Some(v) = f.from {
            q = q.filter(o::observed_at.ge(to_micros(v)));
        }
        if let Some(v) = f.to {
            q = q.filter(o::observed_at.lt(to_micros(v)));
        }
        if let Some(ids) = &f.within {
            q = q.filter(o::account_id.eq_any(crate::store::id_texts(ids)));
        }
        if let Some(k) = after {
            let (acc, at) = (k.account_id.to_string(), to_micros(k.observed_at));
            q = q.filter(
                o::account_id.gt(acc.clone()).or(o::account_id.eq(acc).and(
                    o::metric
                        .gt(k.metric.clone())
                        .or(o::metric.eq(k.metric.clone()).and(o::observed_at.gt(at))),
                )),
            );
        }
        let rows: Vec<Stored> = q
            .order_by((o::account_id, o::metric, o::observed_at))
            .limit(limit)
            .load(c)
            .await?;
        rows.into_iter().map(observation).collect()
    }

    /// Observations of `metrics` in [from, to), of one account (one range
    /// of the key per metric) or of a scope's (from `observations_metric`).
    pub(crate) async fn in_period(
        c: &mut Conn,
        ws: Uuid,
        accounts: Accounts<'_>,
        metrics: &[String],
        from: i64,
        to: i64,
    ) -> Result<Vec<Observation>, StoreError> {
        let q = o::table
            .filter(o::workspace_id.eq(ws.to_string()))
            .filter(o::metric.eq_any(metrics))
            .filter(o::observed_at.ge(from))
            .filter(o::observed_at.lt(to))
            .select((o::account_id, o::metric, o::observed_at, o::value))
            .into_boxed();
        let q = match accounts {
            Accounts::One(id) => q.filter(o::account_id.eq(id.to_string())),
            Accounts::InScope(scope) => of_accounts_in!(q, o::account_id, ws.to_string(), scope),
        };
        let rows: Vec<Stored> = q.load(c).await?;
        rows.into_iter().map(observation).collect()
    }

    /// Each metric's latest observation before `before`, for one account or
    /// for the `holders` of a scope: one statement.
    pub(crate) async fn latest(
        c: &mut Conn,
        ws: Uuid,
        accounts: Accounts<'_>,
        holders: Holders,
        metrics: &[String],
        before: i64,
    ) -> Result<Vec<Observation>, StoreError> {
        use diesel::sql_types::{BigInt, Text};
        if metrics.is_empty() {
            return Ok(Vec::new());
        }
        let mut binds: Vec<String> = metrics.to_vec();
        let admitted = match accounts {
            Accounts::One(account) => {
                binds.push(account.to_string());
                format!("account_id = ${}", binds.len() + 2)
            }
            Accounts::InScope(scope) => admitted_accounts(scope, holders, &mut binds),
        };
        let mut q = diesel::sql_query(latest_sql(metrics.len(), &admitted))
            .into_boxed::<<Conn as diesel_async::AsyncConnectionCore>::Backend>()
            .bind::<Text, _>(ws.to_string())
            .bind::<BigInt, _>(before);
        for b in binds {
            q = q.bind::<Text, _>(b);
        }
        let rows: Vec<Latest> = q.load(c).await?;
        rows.into_iter()
            .map(|r| observation((r.account_id, r.metric, r.observed_at, r.value)))
            .collect()
    }

    /// Which of `ids` are accounts of the workspace.
    pub(crate) async fn known_accounts(c: &mut Conn, ws: Uuid, ids: &[Uuid]) -> Result<HashSet<Uuid>, StoreError> {
        let mut known = HashSet::new();
        for chunk in ids.chunks(CHUNK) {
            let keys: Vec<String> = chunk.iter().map(Uuid::to_string).collect();
            let rows: Vec<String> = a::table
                .filter(a::workspace_id.eq(ws.to_string()))
                .filter(a::id.eq_any(keys))
                .select(a::id)
                .load(c)
                .await?;
            for id in rows {
                known.insert(parse_id(&id)?);
            }
        }
        Ok(known)
    }

    /// The accounts that `(system, external id)` pairs name, where they name
    /// one: per system, so that each lookup is a range of the refs' key.
    pub(crate) async fn accounts_by_ref(
        c: &mut Conn,
        ws: Uuid,
        refs: &[(String, String)],
    ) -> Result<HashMap<(String, String), Uuid>, StoreError> {
        let mut by_system: HashMap<&str, Vec<&str>> = HashMap::new();
        for (system, id) in refs {
            by_system.entry(system.as_str()).or_default().push(id.as_str());
        }
        let mut found = HashMap::new();
        for (system, ids) in by_system {
            for chunk in ids.chunks(CHUNK) {
                for (external_id, id) in c.accounts_of_refs(ws, system, chunk).await? {
                    found.insert((system.to_owned(), external_id), parse_id(&id)?);
                }
            }
        }
        Ok(found)
    }

    /// One account's classifications on `matrices`, every one it ever had.
    pub(crate) async fn account_classified(
        c: &mut Conn,
        ws: Uuid,
        account_id: Uuid,
        matrices: &[&str],
    ) -> Result<Vec<Classified>, StoreError> {
        let rows: Vec<(String, ClassifiedRow)> = with_stakeholders!()
            .filter(c::workspace_id.eq(ws.to_string()))
            .filter(c::account_id.eq(account_id.to_string()))
            .filter(c::matrix.eq_any(matrices))
            .select((c::account_id, classified_columns!()))
            .load(c)
            .await?;
        rows.into_iter().map(|(_, row)| classified(row)).collect()
    }

    /// Every subject's classification on `matrices` as of `as_of`, by
    /// account, for the accounts in `scope`.
    pub(crate) async fn classified_as_of(
        c: &mut Conn,
        ws: Uuid,
        scope: &AccountScope,
        matrices: &[&str],
        as_of: i64,
    ) -> Result<Vec<(Uuid, Classified)>, StoreError> {
        let q = with_stakeholders!()
            .filter(c::workspace_id.eq(ws.to_string()))
            .filter(c::matrix.eq_any(matrices))
            .filter(c::superseded_at.gt(as_of))
            .filter(c::assessed_at.le(as_of))
            .select((c::account_id, classified_columns!()))
            .into_boxed();
        let rows: Vec<(String, ClassifiedRow)> =
            of_accounts_in!(q, c::account_id, ws.to_string(), scope).load(c).await?;
        rows.into_iter()
            .map(|(account, row)| Ok((parse_id(&account)?, classified(row)?)))
            .collect()
    }

    /// An equation's values from `framework` assessments made by `until`:
    /// (account, assessed_at, value), for one account or a scope's.
    pub(crate) async fn equation_values(
        c: &mut Conn,
        ws: Uuid,
        accounts: Accounts<'_>,
        framework: &str,
        equation: &str,
        until: i64,
    ) -> Result<Vec<(Uuid, DateTime<Utc>, f64)>, StoreError> {
        let q = asm::table
            .filter(asm::workspace_id.eq(ws.to_string()))
            .filter(asm::framework.eq(framework))
            .filter(asm::assessed_at.le(until))
            .select((asm::account_id, asm::assessed_at, asm::results))
            .into_boxed();
        let q = match accounts {
            Accounts::One(id) => q.filter(asm::account_id.eq(id.to_string())),
            Accounts::InScope(scope) => of_accounts_in!(q, asm::account_id, ws.to_string(), scope),
        };
        let rows: Vec<(String, i64, String)> = q.load(c).await?;
        let mut out = Vec::with_capacity(rows.len());
        for (account, at, results) in rows {
            let results: Attainment = serde_json::from_str(&results)?;
            if let Some(v) = results.equations.iter().find(|e| e.key == equation) {
                out.push((parse_id(&account)?, from_micros(at), v.value));
            }
        }
        Ok(out)
    }
}

impl Store {
    /// A page of observations by (account, metric, instant); `limit` rows at most.
    pub async fn observations(
        &self,
        ws: Uuid,
        filter: &ObservationFilter,
        after: Option<&ObservationCursor>,
        limit: usize,
    ) -> Result<Vec<Observation>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        run_read!(self, list(ws, filter, after, limit))
    }

    /// Each metric's latest observation before `before`: of one account, or
    /// of the `holders` of a scope.
    pub async fn latest_observations(
        &self,
        ws: Uuid,
        accounts: Accounts<'_>,
        holders: Holders,
        metrics: &[String],
        before: DateTime<Utc>,
    ) -> Result<Vec<Observation>, StoreError> {
        run_read!(
            self,
            latest(ws, accounts, holders, metrics, to_micros(before))
        )
    }

    /// Observations of `metrics` in [from, to), of one account or a scope's.
    pub async fn observations_in_period(
        &self,
        ws: Uuid,
        accounts: Accounts<'_>,
        metrics: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Observation>, StoreError> {
        run_read!(
            self,
            in_period(ws, accounts, metrics, to_micros(from), to_micros(to))
        )
    }

    pub async fn known_accounts(
        &self,
        ws: Uuid,
        ids: &[Uuid],
    ) -> Result<HashSet<Uuid>, StoreError> {
        run_read!(self, known_accounts(ws, ids))
    }

    pub async fn accounts_by_ref(
        &self,
        ws: Uuid,
        refs: &[(String, String)],
    ) -> Result<HashMap<(String, String), Uuid>, StoreError> {
        run_read!(self, accounts_by_ref(ws, refs))
    }

    pub async fn account_classified(
        &self,
        ws: Uuid,
        account_id: Uuid,
        matrices: &[&str],
    ) -> Result<Vec<Classified>, StoreError> {
        run_read!(self, account_classified(ws, account_id, matrices))
    }

    pub async fn classified_as_of(
        &self,
        ws: Uuid,
        scope: &AccountScope,
        matrices: &[&str],
        as_of: DateTime<Utc>,
    ) -> Result<Vec<(Uuid, Classified)>, StoreError> {
        run_read!(
            self,
            classified_as_of(ws, scope, matrices, to_micros(as_of))
        )
    }

    pub async fn equation_values(
        &self,
        ws: Uuid,
        accounts: Accounts<'_>,
        framework: &str,
        equation: &str,
        until: DateTime<Utc>,
    ) -> Result<Vec<(Uuid, DateTime<Utc>, f64)>, StoreError> {
        run_read!(
            self,
            equation_values(ws, accounts, framework, equation, to_micros(until))
        )
    }
}

impl Tx {
    /// As [`Store::accounts_by_ref`], inside the unit of work.
    pub async fn accounts_by_ref(
        &mut self,
        refs: &[(String, String)],
    ) -> Result<HashMap<(String, String), Uuid>, StoreError> {
        in_tx!(self, accounts_by_ref(refs))
    }

    /// As [`Store::latest_observations`], inside the unit of work.
    pub async fn latest_observations(
        &mut self,
        accounts: Accounts<'_>,
        metrics: &[String],
        before: DateTime<Utc>,
    ) -> Result<Vec<Observation>, StoreError> {
        in_tx!(
            self,
            latest(accounts, Holders::Every, metrics, to_micros(before))
        )
    }

    pub async fn delete_metric(&mut self, key: &str) -> Result<bool, StoreError> {
        in_tx!(self, delete_metric(key))
    }

    /// Writes a batch atomically.
    pub async fn upsert_observations(&mut self, rows: &[Observation]) -> Result<(), StoreError> {
        in_tx!(self, upsert(rows))
    }
}
