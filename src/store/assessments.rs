//! Assessments and the classifications stored with them.
//!
//! Each classification row carries `superseded_at`, the time of the subject's
//! next classification on the same matrix ([`OPEN`] while it is the latest),
//! kept true on every insert and delete; "latest as of T" is then
//! `assessed_at <= T < superseded_at`, one range of a covering index.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::{
    BoolExpressionMethods, ExpressionMethods, JoinOnDsl, NullableExpressionMethods,
    OptionalExtension, QueryDsl, SelectableHelper,
};
use diesel_async::RunQueryDsl;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::schema::{accounts as a, assessments as t, classifications as c, stakeholders as s};
use super::tx::in_tx;
use super::{
    Page, Store, StoreError, Tx, from_micros, in_scope, of_accounts_in, parse_id, run_read,
    to_micros,
};
use crate::domain::ExternalRef;
use crate::domain::assessment::Assessment;
use crate::domain::filter::{AccountScope, AssessmentFilter};
use crate::domain::framework::Evaluation;
use crate::domain::portfolio::Placement;
use crate::domain::stakeholder::Voice;

/// `superseded_at` of a subject's latest classification: it holds until further notice.
const OPEN: i64 = i64::MAX;

/// A subject's latest evaluation on a framework.
#[derive(Debug, Clone)]
pub struct SubjectEvaluation<E = Evaluation> {
    pub account_id: Uuid,
    /// `None` when the account itself was assessed.
    pub stakeholder_id: Option<Uuid>,
    /// The stored results, read as much as the caller needs of them.
    pub evaluation: E,
}

/// What portfolio reads need of each account in scope.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountBrief {
    pub id: Uuid,
    pub name: String,
    pub customer_since: Option<chrono::NaiveDate>,
    pub original_arr: Option<f64>,
    pub renewal_date: Option<chrono::NaiveDate>,
    pub current_arr: Option<f64>,
    pub lifecycle_stage: Option<crate::domain::LifecycleStage>,
}

impl AccountBrief {
    pub fn of(account: &crate::domain::Account) -> Self {
        Self {
            id: account.id,
            name: account.fields.name.clone(),
            customer_since: account.fields.customer_since,
            original_arr: account.fields.original_arr,
            renewal_date: account.fields.renewal_date,
            current_arr: account.fields.current_arr,
            lifecycle_stage: account.fields.lifecycle_stage,
        }
    }
}

/// One subject's current normalised point on a matrix, with its account.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentPoint {
    pub account_id: Uuid,
    pub matrix: String,
    pub point: (f64, f64),
    /// For a stakeholder's point: what their view weighs.
    pub voice: Option<Voice>,
}

#[derive(diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = t)]
struct AssessmentRow {
    workspace_id: String,
    id: String,
    account_id: String,
    stakeholder_id: Option<String>,
    framework: String,
    framework_version: i32,
    scores: String,
    notes: String,
    assessor: Option<String>,
    assessed_at: i64,
    results: String,
    created_at: i64,
    ref_system: Option<String>,
    ref_id: Option<String>,
}

impl AssessmentRow {
    fn new(ws: Uuid, x: &Assessment) -> Result<Self, StoreError> {
        Ok(Self {
            workspace_id: ws.to_string(),
            id: x.id.to_string(),
            account_id: x.account_id.to_string(),
            stakeholder_id: x.stakeholder_id.map(|s| s.to_string()),
            framework: x.framework.clone(),
            framework_version: x.framework_version,
            scores: serde_json::to_string(&x.scores)?,
            notes: serde_json::to_string(&x.notes)?,
            assessor: x.assessor.clone(),
            assessed_at: to_micros(x.assessed_at),
            results: serde_json::to_string(&x.results)?,
            created_at: to_micros(x.created_at),
            ref_system: x.external_ref.as_ref().map(|r| r.system.clone()),
            ref_id: x.external_ref.as_ref().map(|r| r.id.clone()),
        })
    }

    fn into_assessment(self) -> Result<Assessment, StoreError> {
        Ok(Assessment {
            id: parse_id(&self.id)?,
            account_id: parse_id(&self.account_id)?,
            stakeholder_id: self.stakeholder_id.as_deref().map(parse_id).transpose()?,
            framework: self.framework,
            framework_version: self.framework_version,
            scores: serde_json::from_str(&self.scores)?,
            notes: serde_json::from_str(&self.notes)?,
            assessor: self.assessor,
            assessed_at: from_micros(self.assessed_at),
            results: serde_json::from_str(&self.results)?,
            created_at: from_micros(self.created_at),
            external_ref: self
                .ref_system
                .zip(self.ref_id)
                .map(|(system, id)| ExternalRef::new(system, id)),
        })
    }
}

type PlacementRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    String,
    f64,
    f64,
    f64,
    i64,
    String,
);

fn placement(
    (
        matrix,
        subject,
        account,
        stakeholder,
        account_name,
        stakeholder_name,
        cell,
        x,
        y,
        closeness,
        at,
        assessment,
    ): PlacementRow,
) -> Result<Placement, StoreError> {
    Ok(Placement {
        matrix,
        subject_id: parse_id(&subject)?,
        account_id: parse_id(&account)?,
        stakeholder_id: stakeholder.as_deref().map(parse_id).transpose()?,
        subject_name: stakeholder_name.unwrap_or_else(|| account_name.clone()),
        account_name,
        cell,
        point: (x, y),
        closeness,
        assessed_at: from_micros(at),
        assessment_id: parse_id(&assessment)?,
    })
}

/// Classifications joined with the names of their account and stakeholder.
macro_rules! placements {
    () => {
        c::table
            .inner_join(
                a::table.on(a::workspace_id
                    .eq(c::workspace_id)
                    .and(a::id.eq(c::account_id))),
            )
            .left_join(
                s::table.on(s::workspace_id
                    .eq(c::workspace_id)
                    .and(s::id.nullable().eq(c::stakeholder_id))),
            )
            .select((
                c::matrix,
                c::subject_id,
                c::account_id,
                c::stakeholder_id,
                a::name,
                s::name.nullable(),
                c::cell,
                c::x,
                c::y,
                c::closeness,
                c::assessed_at,
                c::assessment_id,
            ))
    };
}

/// Classifications of `$matrix` current at `$t`: one range of `classifications_as_of`.
macro_rules! current_at {
    ($q:expr, $ws:expr, $matrix:expr, $t:expr) => {{
        let t = $t;
        $q.filter(c::workspace_id.eq($ws))
            .filter(c::matrix.eq($matrix))
            .filter(c::superseded_at.gt(t))
            .filter(c::assessed_at.le(t))
    }};
}

/// Classifications joined with their accounts, for filtering by account.
macro_rules! with_accounts {
    () => {
        c::table.inner_join(
            a::table.on(a::workspace_id
                .eq(c::workspace_id)
                .and(a::id.eq(c::account_id))),
        )
    };
}

fn limit(page: Page) -> i64 {
    i64::try_from(page.limit).unwrap_or(i64::MAX)
}

super::for_each_backend! {
    /// Stores an assessment with one classification per matrix, each slotted
    /// into its subject's history on that matrix. The caller holds the
    /// account's lock, so its history changes one assessment at a time.
    pub(crate) async fn insert(c: &mut Conn, ws: Uuid, x: &Assessment) -> Result<(), StoreError> {
        let row = AssessmentRow::new(ws, x)?;
        let wss = ws.to_string();
        let subject = x.subject_id().to_string();
        let at = to_micros(x.assessed_at);
        let conn = c;
        diesel::insert_into(t::table).values(row).execute(conn).await?;
        for (matrix, k) in &x.results.classifications {
            let superseded_at = slot_into_history(conn, &wss, matrix, &subject, at).await?;
            diesel::insert_into(c::table)
                .values((
                    c::workspace_id.eq(&wss),
                    c::assessment_id.eq(x.id.to_string()),
                    c::matrix.eq(matrix),
                    c::subject_id.eq(&subject),
                    c::account_id.eq(x.account_id.to_string()),
                    c::stakeholder_id.eq(x.stakeholder_id.map(|s| s.to_string())),
                    c::cell.eq(&k.cell.key),
                    c::x.eq(k.point.0),
                    c::y.eq(k.point.1),
                    c::closeness.eq(k.closeness),
                    c::assessed_at.eq(at),
                    c::superseded_at.eq(superseded_at),
                ))
                .execute(conn)
                .await?;
        }
        Ok(())
    }

    /// Makes room for a classification of `subject` at `at` in its history on
    /// `matrix`: the one before it now ends at `at`. Returns when the new one
    /// ends: where its predecessor ended, or at the next one, or [`OPEN`].
    async fn slot_into_history(
        conn: &mut Conn,
        ws: &str,
        matrix: &str,
        subject: &str,
        at: i64,
    ) -> Result<i64, StoreError> {
        let history = c::table
            .filter(c::workspace_id.eq(ws))
            .filter(c::matrix.eq(matrix))
            .filter(c::subject_id.eq(subject));
        let previous: Option<(String, i64)> = history
            .filter(c::assessed_at.le(at))
            .order_by((c::assessed_at.desc(), c::assessment_id.desc()))
            .select((c::assessment_id, c::superseded_at))
            .first(conn)
            .await
            .optional()?;
        let Some((previous_id, ends)) = previous else {
            // Ordered, not min(): only classifications_subject yields this
            // order, so even a plan made without statistics uses it.
            let next: Option<i64> = history
                .filter(c::assessed_at.gt(at))
                .order_by(c::assessed_at)
                .select(c::assessed_at)
                .first(conn)
                .await
                .optional()?;
            return Ok(next.unwrap_or(OPEN));
        };
        diesel::update(
            c::table
                .filter(c::workspace_id.eq(ws))
                .filter(c::assessment_id.eq(previous_id))
                .filter(c::matrix.eq(matrix)),
        )
        .set(c::superseded_at.eq(at))
        .execute(conn)
        .await?;
        Ok(ends)
    }

    pub(crate) async fn get(c: &mut Conn, ws: Uuid, id: Uuid) -> Result<Option<Assessment>, StoreError> {
        let row: Option<AssessmentRow> = t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(t::id.eq(id.to_string()))
            .select(AssessmentRow::as_select())
            .first(c)
            .await
            .optional()?;
        row.map(AssessmentRow::into_assessment).transpose()
    }

    pub(crate) async fn by_ref(c: &mut Conn, ws: Uuid, r: &ExternalRef) -> Result<Option<Assessment>, StoreError> {
        let row: Option<AssessmentRow> = t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(t::ref_system.eq(&r.system))
            .filter(t::ref_id.eq(&r.id))
            .select(AssessmentRow::as_select())
            .first(c)
            .await
            .optional()?;
        row.map(AssessmentRow::into_assessment).transpose()
    }

    pub(crate) async fn list(
        c: &mut Conn,
        ws: Uuid,
        filter: &AssessmentFilter,
        page: Page,
    ) -> Result<Vec<Assessment>, StoreError> {
        let mut q = t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .select(AssessmentRow::as_select())
            .into_boxed();
        if let Some(after) = page.after {
            q = q.filter(t::id.gt(after.to_string()));
        }
        if let Some(v) = filter.account_id {
            q = q.filter(t::account_id.eq(v.to_string()));
        }
        if let Some(v) = filter.stakeholder_id {
            q = q.filter(t::stakeholder_id.eq(v.to_string()));
        }
        if let Some(v) = &filter.framework {
            q = q.filter(t::framework.eq(v.clone()));
        }
        if let Some(v) = filter.from {
            q = q.filter(t::assessed_at.ge(to_micros(v)));
        }
        if let Some(v) = filter.to {
            q = q.filter(t::assessed_at.lt(to_micros(v)));
        }
        if let Some(ids) = &filter.within {
            q = q.filter(t::account_id.eq_any(crate::store::id_texts(ids)));
        }
        let rows: Vec<AssessmentRow> = q.order_by(t::id).limit(limit(page)).load(c).await?;
        rows.into_iter().map(AssessmentRow::into_assessment).collect()
    }

    /// Deletes an assessment; each classification's predecessor inherits its successor.
    pub(crate) async fn delete(c: &mut Conn, ws: Uuid, id: Uuid) -> Result<bool, StoreError> {
        let wss = ws.to_string();
        let ids = id.to_string();
        let conn = c;
        let mine: Vec<(String, String, i64, i64)> = c::table
            .filter(c::workspace_id.eq(&wss))
            .filter(c::assessment_id.eq(&ids))
            .select((c::matrix, c::subject_id, c::assessed_at, c::superseded_at))
            .load(conn)
            .await?;
        for (matrix, subject, at, superseded_at) in mine {
            let predecessor: Option<String> = c::table
                .filter(c::workspace_id.eq(&wss))
                .filter(c::matrix.eq(&matrix))
                .filter(c::subject_id.eq(&subject))
                .filter(c::assessed_at.lt(at).or(c::assessed_at.eq(at).and(c::assessment_id.lt(&ids))))
                .order_by((c::assessed_at.desc(), c::assessment_id.desc()))
                .select(c::assessment_id)
                .first(conn)
                .await
                .optional()?;
            if let Some(p) = predecessor {
                diesel::update(
                    c::table
                        .filter(c::workspace_id.eq(&wss))
                        .filter(c::assessment_id.eq(p))
                        .filter(c::matrix.eq(&matrix)),
                )
                .set(c::superseded_at.eq(superseded_at))
                .execute(conn)
                .await?;
            }
        }
        diesel::delete(c::table.filter(c::workspace_id.eq(&wss)).filter(c::assessment_id.eq(&ids)))
            .execute(conn)
            .await?;
        let n = diesel::delete(t::table.filter(t::workspace_id.eq(&wss)).filter(t::id.eq(&ids)))
            .execute(conn)
            .await?;
        Ok(n == 1)
    }

    /// A page of subjects by id, each with its cell on `matrix` as of `as_of`.
    pub(crate) async fn placements(
        c: &mut Conn,
        ws: Uuid,
        matrix: &str,
        as_of: i64,
        scope: &AccountScope,
        page: Page,
    ) -> Result<Vec<Placement>, StoreError> {
        // `+ 0` keeps planners off the as-of range, which would sort every
        // current subject for one page; classifications_subject yields them in
        // page order and the scan stops at the page's end.
        let q = placements!()
            .filter(c::workspace_id.eq(ws.to_string()))
            .filter(c::matrix.eq(matrix))
            .filter((c::superseded_at + 0i64).gt(as_of))
            .filter(c::assessed_at.le(as_of))
            .into_boxed();
        let mut q = in_scope!(q, scope);
        if let Some(after) = page.after {
            q = q.filter(c::subject_id.gt(after.to_string()));
        }
        let rows: Vec<PlacementRow> = q.order_by(c::subject_id).limit(limit(page)).load(c).await?;
        rows.into_iter().map(placement).collect()
    }

    /// How many subjects sit in each cell of `matrix` as of `as_of`.
    pub(crate) async fn cell_counts(
        c: &mut Conn,
        ws: Uuid,
        matrix: &str,
        as_of: i64,
        scope: &AccountScope,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let counted = (c::cell, diesel::dsl::count_star());
        if scope.is_everyone() {
            return Ok(current_at!(c::table, ws.to_string(), matrix, as_of)
                .group_by(c::cell)
                .select(counted)
                .load(c)
                .await?);
        }
        let q = current_at!(with_accounts!(), ws.to_string(), matrix, as_of)
            .group_by(c::cell)
            .select(counted)
            .into_boxed();
        Ok(in_scope!(q, scope).load(c).await?)
    }

    /// Each subject's cell on `matrix` as of `as_of`.
    pub(crate) async fn cells(
        c: &mut Conn,
        ws: Uuid,
        matrix: &str,
        as_of: i64,
        scope: &AccountScope,
    ) -> Result<Vec<(Uuid, String)>, StoreError> {
        let rows: Vec<(String, String)> = if scope.is_everyone() {
            current_at!(c::table, ws.to_string(), matrix, as_of)
                .select((c::subject_id, c::cell))
                .load(c)
                .await?
        } else {
            let q = current_at!(with_accounts!(), ws.to_string(), matrix, as_of)
                .select((c::subject_id, c::cell))
                .into_boxed();
            in_scope!(q, scope).load(c).await?
        };
        rows.into_iter().map(|(s, cell)| Ok((parse_id(&s)?, cell))).collect()
    }

    /// Each subject's normalised point on `matrix` as of `as_of`.
    pub(crate) async fn points(
        c: &mut Conn,
        ws: Uuid,
        matrix: &str,
        as_of: i64,
        scope: &AccountScope,
    ) -> Result<Vec<(f64, f64)>, StoreError> {
        if scope.is_everyone() {
            return Ok(current_at!(c::table, ws.to_string(), matrix, as_of)
                .select((c::x, c::y))
                .load(c)
                .await?);
        }
        let q = current_at!(with_accounts!(), ws.to_string(), matrix, as_of)
            .select((c::x, c::y))
            .into_boxed();
        Ok(in_scope!(q, scope).load(c).await?)
    }

    /// Every classification of an account and its stakeholders, newest first per matrix and subject.
    pub(crate) async fn account_history(
        c: &mut Conn,
        ws: Uuid,
        account_id: Uuid,
    ) -> Result<Vec<Placement>, StoreError> {
        let rows: Vec<PlacementRow> = placements!()
            .filter(c::workspace_id.eq(ws.to_string()))
            .filter(c::account_id.eq(account_id.to_string()))
            .order_by((c::matrix, c::subject_id, c::assessed_at.desc(), c::assessment_id.desc()))
            .load(c)
            .await?;
        rows.into_iter().map(placement).collect()
    }

    /// A subject's current cell on each of `matrices` it has one on.
    /// `superseded_at + 0` and an order only `classifications_subject` yields
    /// keep `classifications_as_of` out of reach: on a database without
    /// statistics SQLite otherwise read every current classification of the
    /// matrix (one per subject) on each assessment written, and writes slowed
    /// to ~85/s at 85,000 subjects.
    pub(crate) async fn current_cells(
        c: &mut Conn,
        ws: Uuid,
        subject: Uuid,
        matrices: &[String],
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(c::table
            .filter(c::workspace_id.eq(ws.to_string()))
            .filter(c::matrix.eq_any(matrices))
            .filter(c::subject_id.eq(subject.to_string()))
            .filter((c::superseded_at + 0i64).eq(OPEN))
            .order_by((c::matrix, c::subject_id, c::assessed_at))
            .select((c::matrix, c::cell))
            .load(c)
            .await?)
    }

    /// The current point of every subject of the accounts in `scope` on each
    /// of `matrices`, with what a stakeholder's view weighs: one range of
    /// `classifications_as_of` per matrix, joined to the stakeholders assessed.
    pub(crate) async fn current_points(
        c: &mut Conn,
        ws: Uuid,
        matrices: &[String],
        scope: &AccountScope,
    ) -> Result<Vec<CurrentPoint>, StoreError> {
        type Row = (String, String, f64, f64, Option<String>, Option<bool>, Option<String>);
        let q = c::table
            .left_join(s::table.on(s::workspace_id.eq(c::workspace_id).and(s::id.nullable().eq(c::stakeholder_id))))
            .filter(c::workspace_id.eq(ws.to_string()))
            .filter(c::matrix.eq_any(matrices))
            .filter(c::superseded_at.eq(OPEN))
            .select((c::account_id, c::matrix, c::x, c::y, s::role.nullable(), s::involved_in_purchase.nullable(), s::left_on.nullable()))
            .into_boxed();
        let rows: Vec<Row> = of_accounts_in!(q, c::account_id, ws.to_string(), scope).load(c).await?;
        rows.into_iter()
            .map(|(account, matrix, x, y, role, involved, left_on)| {
                Ok(CurrentPoint {
                    account_id: parse_id(&account)?,
                    voice: involved.map(|involved_in_purchase| Voice {
                        role: role.as_deref().and_then(|r| r.parse().ok()),
                        involved_in_purchase,
                        left_on: left_on.as_deref().and_then(|d| d.parse().ok()),
                    }),
                    matrix,
                    point: (x, y),
                })
            })
            .collect()
    }

    /// Each subject's latest evaluation on `framework` as of `as_of`, for the
    /// accounts in `scope`: one read of the assessments up to then, keeping
    /// the latest (by time, then id) per subject before parsing any result.
    pub(crate) async fn latest_evaluations<E: DeserializeOwned>(
        c: &mut Conn,
        ws: Uuid,
        framework: &str,
        as_of: i64,
        scope: &AccountScope,
    ) -> Result<Vec<SubjectEvaluation<E>>, StoreError> {
        let q = t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(t::framework.eq(framework))
            .filter(t::assessed_at.le(as_of))
            .select((t::account_id, t::stakeholder_id, t::assessed_at, t::id, t::results))
            .into_boxed();
        let rows: Vec<(String, Option<String>, i64, String, String)> =
            of_accounts_in!(q, t::account_id, ws.to_string(), scope).load(c).await?;
        type Held = (i64, String, String, String, Option<String>);
        let mut latest: HashMap<String, Held> = HashMap::new();
        for (account, stakeholder, at, id, results) in rows {
            let subject = stakeholder.clone().unwrap_or_else(|| account.clone());
            match latest.get(&subject) {
                Some((held_at, held_id, ..)) if (*held_at, held_id) > (at, &id) => {}
                _ => {
                    latest.insert(subject, (at, id, results, account, stakeholder));
                }
            }
        }
        latest
            .into_values()
            .map(|(_, _, results, account, stakeholder)| {
                Ok(SubjectEvaluation {
                    account_id: parse_id(&account)?,
                    stakeholder_id: stakeholder.as_deref().map(parse_id).transpose()?,
                    evaluation: serde_json::from_str(&results)?,
                })
            })
            .collect()
    }

    /// Every account in scope, by id.
    pub(crate) async fn accounts_in_scope(
        c: &mut Conn,
        ws: Uuid,
        scope: &AccountScope,
    ) -> Result<Vec<AccountBrief>, StoreError> {
        let mut q = a::table
            .filter(a::workspace_id.eq(ws.to_string()))
            .select((a::id, a::name, a::customer_since, a::original_arr, a::renewal_date, a::current_arr, a::lifecycle_stage))
            .into_boxed();
        q = in_scope!(q, scope);
        type Row = (String, String, Option<String>, Option<f64>, Option<String>, Option<f64>, Option<String>);
        let rows: Vec<Row> = q.order_by(a::id).load(c).await?;
        rows.into_iter()
            .map(|(id, name, since, original_arr, renewal, current_arr, stage)| {
                Ok(AccountBrief {
                    id: parse_id(&id)?,
                    name,
                    customer_since: since.and_then(|d| d.parse().ok()),
                    original_arr,
                    renewal_date: renewal.and_then(|d| d.parse().ok()),
                    current_arr,
                    lifecycle_stage: stage.and_then(|s| s.parse().ok()),
                })
            })
            .collect()
    }
}

impl Store {
    pub async fn assessment(&self, ws: Uuid, id: Uuid) -> Result<Option<Assessment>, StoreError> {
        run_read!(self, get(ws, id))
    }

    pub async fn assessments(
        &self,
        ws: Uuid,
        filter: &AssessmentFilter,
        page: Page,
    ) -> Result<Vec<Assessment>, StoreError> {
        run_read!(self, list(ws, filter, page))
    }

    pub async fn placements(
        &self,
        ws: Uuid,
        matrix: &str,
        as_of: DateTime<Utc>,
        scope: &AccountScope,
        page: Page,
    ) -> Result<Vec<Placement>, StoreError> {
        run_read!(self, placements(ws, matrix, to_micros(as_of), scope, page))
    }

    pub async fn cell_counts(
        &self,
        ws: Uuid,
        matrix: &str,
        as_of: DateTime<Utc>,
        scope: &AccountScope,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        run_read!(self, cell_counts(ws, matrix, to_micros(as_of), scope))
    }

    pub async fn cells(
        &self,
        ws: Uuid,
        matrix: &str,
        as_of: DateTime<Utc>,
        scope: &AccountScope,
    ) -> Result<Vec<(Uuid, String)>, StoreError> {
        run_read!(self, cells(ws, matrix, to_micros(as_of), scope))
    }

    pub async fn points(
        &self,
        ws: Uuid,
        matrix: &str,
        as_of: DateTime<Utc>,
        scope: &AccountScope,
    ) -> Result<Vec<(f64, f64)>, StoreError> {
        run_read!(self, points(ws, matrix, to_micros(as_of), scope))
    }

    /// Every classification of an account and its stakeholders, newest first
    /// per matrix and subject.
    pub async fn account_history(
        &self,
        ws: Uuid,
        account_id: Uuid,
    ) -> Result<Vec<Placement>, StoreError> {
        run_read!(self, account_history(ws, account_id))
    }

    pub async fn current_points(
        &self,
        ws: Uuid,
        matrices: &[String],
        scope: &AccountScope,
    ) -> Result<Vec<CurrentPoint>, StoreError> {
        run_read!(self, current_points(ws, matrices, scope))
    }

    pub async fn latest_evaluations<E: DeserializeOwned>(
        &self,
        ws: Uuid,
        framework: &str,
        as_of: DateTime<Utc>,
        scope: &AccountScope,
    ) -> Result<Vec<SubjectEvaluation<E>>, StoreError> {
        run_read!(
            self,
            latest_evaluations(ws, framework, to_micros(as_of), scope)
        )
    }

    pub async fn accounts_in_scope(
        &self,
        ws: Uuid,
        scope: &AccountScope,
    ) -> Result<Vec<AccountBrief>, StoreError> {
        run_read!(self, accounts_in_scope(ws, scope))
    }
}

impl Tx {
    pub async fn assessment(&mut self, id: Uuid) -> Result<Option<Assessment>, StoreError> {
        in_tx!(self, get(id))
    }

    /// The assessment another system knows by `r`, if any.
    pub async fn assessment_by_ref(
        &mut self,
        r: &ExternalRef,
    ) -> Result<Option<Assessment>, StoreError> {
        in_tx!(self, by_ref(r))
    }

    pub async fn insert_assessment(&mut self, x: &Assessment) -> Result<(), StoreError> {
        in_tx!(self, insert(x))
    }

    /// A subject's current cell on each of `matrices`, by matrix.
    pub async fn current_cells(
        &mut self,
        subject: Uuid,
        matrices: &[String],
    ) -> Result<Vec<(String, String)>, StoreError> {
        in_tx!(self, current_cells(subject, matrices))
    }

    /// `false` when no such assessment exists.
    pub async fn delete_assessment(&mut self, id: Uuid) -> Result<bool, StoreError> {
        in_tx!(self, delete(id))
    }
}
