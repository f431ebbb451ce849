//! `POST /v1/accounts/batch`, `/v1/stakeholders/batch` and
//! `/v1/assessments/batch`: bulk upsert by ref, with a result per item.

use std::future::Future;

use axum::extract::{FromRequest, Request, State};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

use super::accounts::AccountPatchInput;
use super::assessments::AssessmentInput;
use super::body::parse_plain;
use super::csv_body::{Kind, Kinds};
use super::dto::ExternalRefDto;
use super::extract::{Caller, Checked, JsonBytes, parse_json, parse_value};
use super::problem::{FieldProblem, Problem, ProblemResponses};
use super::stakeholders::StakeholderMergeInput;
use super::streamed;
use crate::app::{App, AppError};
use crate::domain::api_key::Principal;
use crate::domain::assessment::AssessmentDraft;
use crate::domain::import::{
    AccountUpsert, AssessmentUpsert, ItemOutcome, ItemStatus, Outcomes, StakeholderUpsert,
};
use crate::domain::observation::AccountKey;
use crate::domain::{ExternalRef, Invalid, RecordKey};

/// The largest batch body: 10,000 accounts with attributes fit.
pub const BATCH_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// One account to upsert: named by `ref` (created when no account has it) or
/// by `id`, with the fields to merge into it as `PATCH /v1/accounts/{id}`
/// takes them (a new account needs a `name`).
#[derive(Debug, Deserialize)]
pub struct AccountItemInput {
    #[serde(rename = "ref")]
    pub reference: Option<ExternalRefDto>,
    pub id: Option<Uuid>,
    #[serde(flatten)]
    pub fields: AccountPatchInput,
    /// What no field takes (a flattened struct does not refuse it itself).
    #[serde(flatten)]
    pub unknown: serde_json::Map<String, Value>,
}

/// One object: the patch's fields with `ref` and `id` beside them. (Derived,
/// the schema would be `allOf` the patch, whose `additionalProperties: false`
/// refuses `ref` and `id`.)
impl PartialSchema for AccountItemInput {
    fn schema() -> RefOr<Schema> {
        keyed_patch(
            AccountPatchInput::schema(),
            ("ref", "The account's id in another system; or give `id`."),
            ("id", "The account's csapi id; or give `ref`."),
            "One account to upsert: named by `ref` (created when no account has it) or by `id`, \
             with the fields to merge into it as `PATCH /v1/accounts/{id}` takes them (a new \
             account needs a `name`).",
        )
    }
}

/// A body's schema with a record named beside its fields, by ref or by id,
/// as one object.
pub(super) fn keyed_patch(
    mut schema: RefOr<Schema>,
    (ref_field, ref_about): (&str, &str),
    (id_field, id_about): (&str, &str),
    about: &str,
) -> RefOr<Schema> {
    if let RefOr::T(Schema::Object(object)) = &mut schema {
        let mut reference = match ExternalRefDto::schema() {
            RefOr::T(Schema::Object(r)) => r,
            _ => ObjectBuilder::new().build(),
        };
        reference.schema_type = SchemaType::from_iter([Type::Object, Type::Null]);
        reference.description = Some(ref_about.into());
        let id = ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
            .description(Some(id_about))
            .build();
        object
            .properties
            .insert(ref_field.into(), RefOr::T(Schema::Object(reference)));
        object
            .properties
            .insert(id_field.into(), RefOr::T(Schema::Object(id)));
        object.description = Some(about.into());
    }
    schema
}

impl ToSchema for AccountItemInput {}

impl AccountItemInput {
    fn key(&self) -> Result<AccountKey, Invalid> {
        let reference = self
            .reference
            .as_ref()
            .map(|r| ExternalRef::new(&r.system, &r.id));
        AccountKey::either(reference, self.id)
    }
}

impl Checked for AccountItemInput {
    fn check(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        for field in self.unknown.keys() {
            e.push(field.clone(), "is not a field of an account item");
        }
        if let Err(bad) = self.key() {
            e.0.extend(bad.0);
        }
        e.into_result()
    }
}

/// A batch of accounts.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountBatchInput {
    /// `true` (default): one bad item and nothing is written (422 naming every bad item and
    /// field). `false`: the good items are written and the refused ones (unknown id, a new
    /// account without a name, a ref another account holds) reported; a malformed item still
    /// fails the whole batch.
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub atomic: bool,
    /// 1 to 10,000 items; a ref named twice is merged twice, in order.
    #[schema(value_type = Vec<AccountItemInput>, min_items = 1, max_items = 10000)]
    pub items: Vec<Value>,
}

impl Checked for AccountBatchInput {}

fn yes() -> bool {
    true
}

/// What became of an item.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatusView {
    Created,
    Updated,
    /// The account already was as the item asked: nothing written.
    Unchanged,
    Failed,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemResultView {
    /// The item's index in `items`.
    pub index: usize,
    pub status: ItemStatusView,
    /// The record written (absent for a failed item).
    pub id: Option<Uuid>,
    /// Every bad field of a failed item, named `items[i].field`.
    pub errors: Vec<FieldProblem>,
}

/// What a batch did: counts, and a result per item.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpsertBatchResult {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    /// One per item, in order.
    pub items: Vec<ItemResultView>,
}

impl From<Outcomes> for UpsertBatchResult {
    fn from(outcomes: Outcomes) -> Self {
        Self {
            created: outcomes.count(ItemStatus::Created),
            updated: outcomes.count(ItemStatus::Updated),
            unchanged: outcomes.count(ItemStatus::Unchanged),
            failed: outcomes.count(ItemStatus::Failed),
            items: outcomes.0.into_iter().map(ItemResultView::from).collect(),
        }
    }
}

impl From<ItemOutcome> for ItemResultView {
    fn from(o: ItemOutcome) -> Self {
        Self {
            index: o.index,
            status: match o.status {
                ItemStatus::Created => ItemStatusView::Created,
                ItemStatus::Updated => ItemStatusView::Updated,
                ItemStatus::Unchanged => ItemStatusView::Unchanged,
                ItemStatus::Failed => ItemStatusView::Failed,
            },
            id: o.id,
            errors: FieldProblem::all(o.errors),
        }
    }
}

/// What a batch endpoint reads and writes, so that the three answer JSON,
/// NDJSON and CSV bodies one way.
trait Importer: 'static {
    /// The JSON body.
    type Body: DeserializeOwned + Checked;
    /// An item as a body gives it.
    type Input: DeserializeOwned + Checked;
    type Item: Send + 'static;
    /// The fields of an item that a CSV cell does not give as text.
    const KINDS: &'static Kinds;
    /// `atomic` and the items of a JSON body.
    fn parts(body: Self::Body) -> (bool, Vec<Value>);
    /// Makes a well-formed item the use case's item.
    fn item(input: Self::Input) -> Result<Self::Item, Invalid>;
    fn import(
        app: &App,
        p: &Principal,
        items: Vec<Result<Self::Item, Invalid>>,
        atomic: bool,
    ) -> impl Future<Output = Result<Outcomes, AppError>> + Send;
}

/// A JSON batch with its items kept as text: most bodies are one, and each
/// item then parses straight into its type, without a tree of it first.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBatch<'a> {
    #[serde(default = "yes")]
    atomic: bool,
    #[serde(borrow)]
    items: Vec<&'a RawValue>,
}

/// Answers a batch: a JSON body at once, an NDJSON or CSV one streamed.
async fn answer<I: Importer>(app: App, p: Principal, req: Request) -> Result<Response, Problem> {
    if let Some(items) = streamed::items_of(req.headers(), I::KINDS) {
        let import = move |items| {
            let (app, p) = (app.clone(), p.clone());
            async move { I::import(&app, &p, items, false).await }
        };
        return Ok(streamed::answer(items, req.into_body(), parse::<I>, import).await);
    }
    let JsonBytes(body) = JsonBytes::from_request(req, &()).await?;
    let (atomic, items) = match serde_json::from_slice::<RawBatch>(&body) {
        Ok(batch) => (
            batch.atomic,
            batch.items.into_iter().map(parse_raw::<I>).collect(),
        ),
        Err(_) => {
            let (atomic, items) = I::parts(parse_json(&body)?);
            (atomic, items.into_iter().map(parse::<I>).collect())
        }
    };
    let outcomes = I::import(&app, &p, items, atomic).await?;
    Ok(axum::Json(UpsertBatchResult::from(outcomes)).into_response())
}

/// Parses one item, naming every bad field (unprefixed: the outcome puts
/// each under its item).
fn parse<I: Importer>(item: Value) -> Result<I::Item, Invalid> {
    let input = parse_value::<I::Input>(item)?;
    input.check()?;
    I::item(input)
}

/// [`parse`] of an item kept as text: straight into its type when it is
/// plain (`parse_plain`), through [`parse`] when not.
fn parse_raw<I: Importer>(item: &RawValue) -> Result<I::Item, Invalid> {
    let Some(input) = parse_plain::<I::Input>(item.get().as_bytes()) else {
        let value = serde_json::from_str(item.get())
            .map_err(|e| Invalid::single("body", format!("malformed JSON: {e}")))?;
        return parse::<I>(value);
    };
    input.check()?;
    I::item(input)
}

struct Accounts;

impl Importer for Accounts {
    type Body = AccountBatchInput;
    type Input = AccountItemInput;
    type Item = AccountUpsert;
    const KINDS: &'static Kinds = &Kinds(&[
        ("ref.system", Kind::Text),
        ("ref.id", Kind::Text),
        ("id", Kind::Text),
        ("name", Kind::Text),
        ("segment", Kind::Text),
        ("owner", Kind::Text),
        ("lifecycle_stage", Kind::Text),
        ("customer_since", Kind::Text),
        ("original_arr", Kind::Number),
        ("renewal_date", Kind::Text),
        ("contract_end", Kind::Text),
        ("current_arr", Kind::Number),
        ("currency", Kind::Text),
        ("attributes.*", Kind::Text),
        ("external_refs", Kind::Json),
    ]);

    fn parts(body: AccountBatchInput) -> (bool, Vec<Value>) {
        (body.atomic, body.items)
    }

    fn item(input: AccountItemInput) -> Result<AccountUpsert, Invalid> {
        Ok(AccountUpsert {
            key: input.key()?,
            patch: input.fields.into(),
        })
    }

    fn import(
        app: &App,
        p: &Principal,
        items: Vec<Result<AccountUpsert, Invalid>>,
        atomic: bool,
    ) -> impl Future<Output = Result<Outcomes, AppError>> + Send {
        app.import_accounts(p, items, atomic)
    }
}

/// Upsert accounts by ref (merge), up to 10,000 per call.
///
/// Each item names its account by `ref` (`{system, id}`; created when no account has it, the
/// ref then on it) or by `id`, and merges its fields into it as `PATCH /v1/accounts/{id}`
/// would: fields left out stay, `attributes` merge key by key (`null` removes a key). An item
/// that changes nothing is `unchanged` and writes nothing. One transaction: atomic by default
/// (one bad item refuses the batch, naming it); with `atomic: false` good items are written and
/// bad ones listed. Each account written records a change event. Write role.
#[utoipa::path(post, path = "/v1/accounts/batch", operation_id = "upsert_accounts", tag = "accounts",
    request_body(content((AccountBatchInput = "application/json"), (AccountItemInput = "application/x-ndjson"), (String = "text/csv")),
        description = "A JSON batch; or, of any length and streamed, one item per line as `application/x-ndjson` or a CSV sheet (`text/csv`) whose header row names each column's field by its path (`ref.id`, `name`, `attributes.tier`, `attributes.seats:number`)"),
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 200, description = "A result per item; for an NDJSON or CSV body, one NDJSON line per item and a last line with the counts (`{\"summary\": …}`) or the problem that stopped the batch (`{\"error\": …}`)",
        content((UpsertBatchResult = "application/json"), (ItemResultView = "application/x-ndjson"))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn upsert_accounts(
    State(app): State<App>,
    Caller(p): Caller,
    req: Request,
) -> Result<Response, Problem> {
    answer::<Accounts>(app, p, req).await
}

/// One stakeholder to upsert: named by `ref` (created when nobody has it) or
/// by `id`, with the fields to merge into them as `PATCH
/// /v1/stakeholders/{id}` takes them, and the account a new one goes under.
#[derive(Debug, Deserialize)]
pub struct StakeholderItemInput {
    #[serde(rename = "ref")]
    pub reference: Option<ExternalRefDto>,
    pub id: Option<Uuid>,
    #[serde(flatten)]
    pub body: StakeholderMergeInput,
}

impl PartialSchema for StakeholderItemInput {
    fn schema() -> RefOr<Schema> {
        keyed_patch(
            StakeholderMergeInput::schema(),
            (
                "ref",
                "The stakeholder's id in another system; or give `id`.",
            ),
            ("id", "The stakeholder's csapi id; or give `ref`."),
            "One stakeholder to upsert: named by `ref` (created when nobody has it, the ref then \
             on them) or by `id`, with the fields to merge into them as `PATCH \
             /v1/stakeholders/{id}` takes them. A new stakeholder needs a `name` and an account \
             (`account_ref` or `account_id`); stakeholders do not move between accounts.",
        )
    }
}

impl ToSchema for StakeholderItemInput {}

impl StakeholderItemInput {
    fn key(&self) -> Result<RecordKey, Invalid> {
        RecordKey::either(self.reference.clone().map(ExternalRef::from), self.id)
    }
}

impl Checked for StakeholderItemInput {
    fn check(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        for result in [self.body.check(), self.key().map(|_| ())] {
            if let Err(bad) = result {
                e.0.extend(bad.0);
            }
        }
        e.into_result()
    }
}

struct Stakeholders;

impl Importer for Stakeholders {
    type Body = StakeholderBatchInput;
    type Input = StakeholderItemInput;
    type Item = StakeholderUpsert;
    const KINDS: &'static Kinds = &Kinds(&[
        ("ref.system", Kind::Text),
        ("ref.id", Kind::Text),
        ("id", Kind::Text),
        ("account_ref.system", Kind::Text),
        ("account_ref.id", Kind::Text),
        ("account_id", Kind::Text),
        ("name", Kind::Text),
        ("email", Kind::Text),
        ("title", Kind::Text),
        ("role", Kind::Text),
        ("involved_in_purchase", Kind::Boolean),
        ("left_on", Kind::Text),
        ("attributes.*", Kind::Text),
        ("external_refs", Kind::Json),
    ]);

    fn parts(body: StakeholderBatchInput) -> (bool, Vec<Value>) {
        (body.atomic, body.items)
    }

    fn item(input: StakeholderItemInput) -> Result<StakeholderUpsert, Invalid> {
        Ok(StakeholderUpsert {
            key: input.key()?,
            account: input.body.account()?,
            patch: input.body.fields.into(),
        })
    }

    fn import(
        app: &App,
        p: &Principal,
        items: Vec<Result<StakeholderUpsert, Invalid>>,
        atomic: bool,
    ) -> impl Future<Output = Result<Outcomes, AppError>> + Send {
        app.import_stakeholders(p, items, atomic)
    }
}

/// A batch of stakeholders.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StakeholderBatchInput {
    /// As for accounts: `true` (default) refuses the whole batch for one bad item.
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub atomic: bool,
    /// 1 to 10,000 items; a ref named twice is merged twice, in order.
    #[schema(value_type = Vec<StakeholderItemInput>, min_items = 1, max_items = 10000)]
    pub items: Vec<Value>,
}

impl Checked for StakeholderBatchInput {}

/// Upsert stakeholders by ref (merge), up to 10,000 per call.
///
/// Each item names its stakeholder by `ref` (`{system, id}`; created when nobody has it, under
/// the account the item names by `account_ref` or `account_id`) or by `id`, and merges its
/// fields into them as `PATCH /v1/stakeholders/{id}` would: fields left out stay, `attributes`
/// merge key by key. An item that changes nothing is `unchanged`. One transaction, atomic by
/// default as for accounts; a ref another stakeholder holds, an unknown account or a missing
/// name fails its item. Each stakeholder written records a change event. Write role.
#[utoipa::path(post, path = "/v1/stakeholders/batch", operation_id = "upsert_stakeholders", tag = "stakeholders",
    request_body(content((StakeholderBatchInput = "application/json"), (StakeholderItemInput = "application/x-ndjson"), (String = "text/csv")),
        description = "A JSON batch; or, of any length and streamed, one item per line as `application/x-ndjson` or a CSV sheet (`text/csv`) whose header row names each column's field by its path (`ref.id`, `name`, `attributes.tier`, `attributes.seats:number`)"),
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 200, description = "A result per item; for an NDJSON or CSV body, one NDJSON line per item and a last line with the counts (`{\"summary\": …}`) or the problem that stopped the batch (`{\"error\": …}`)",
        content((UpsertBatchResult = "application/json"), (ItemResultView = "application/x-ndjson"))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn upsert_stakeholders(
    State(app): State<App>,
    Caller(p): Caller,
    req: Request,
) -> Result<Response, Problem> {
    answer::<Stakeholders>(app, p, req).await
}

/// One assessment to record: the create body of `POST /v1/assessments`, with
/// `ref` naming it in the system it came from (kept as its `external_ref`)
/// or `id` naming one csapi recorded.
#[derive(Debug, Deserialize)]
pub struct AssessmentItemInput {
    #[serde(rename = "ref")]
    pub reference: Option<ExternalRefDto>,
    pub id: Option<Uuid>,
    #[serde(flatten)]
    pub fields: AssessmentInput,
    /// What no field takes (a flattened struct does not refuse it itself).
    #[serde(flatten)]
    pub unknown: serde_json::Map<String, Value>,
}

impl PartialSchema for AssessmentItemInput {
    fn schema() -> RefOr<Schema> {
        keyed_patch(
            AssessmentInput::schema(),
            (
                "ref",
                "The assessment's id in the system it came from, kept as its `external_ref`: an \
                 item whose ref is already recorded is `unchanged`.",
            ),
            ("id", "Or the csapi id of an assessment already recorded."),
            "One assessment, as `POST /v1/assessments` takes it, named by `ref` or `id` (or by \
             neither: then each send records a new one). Assessments do not change: an item \
             naming one that records other scores fails.",
        )
    }
}

impl ToSchema for AssessmentItemInput {}

impl AssessmentItemInput {
    fn key(&self) -> Result<Option<RecordKey>, Invalid> {
        let reference = self.reference.clone().map(ExternalRef::from);
        RecordKey::optional_one_of(reference, self.id, ("ref", "id"))
    }
}

impl Checked for AssessmentItemInput {
    fn check(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        for field in self.unknown.keys() {
            e.push(field.clone(), "is not a field of an assessment item");
        }
        if self.fields.external_ref.is_some() {
            e.push(
                "external_ref",
                "name the assessment by `ref` in a batch item",
            );
        }
        if let Err(bad) = self.key() {
            e.0.extend(bad.0);
        }
        e.into_result()
    }
}

struct Assessments;

impl Importer for Assessments {
    type Body = AssessmentBatchInput;
    type Input = AssessmentItemInput;
    type Item = AssessmentUpsert;
    const KINDS: &'static Kinds = &Kinds(&[
        ("ref.system", Kind::Text),
        ("ref.id", Kind::Text),
        ("id", Kind::Text),
        ("account_id", Kind::Text),
        ("account_ref.system", Kind::Text),
        ("account_ref.id", Kind::Text),
        ("stakeholder_id", Kind::Text),
        ("stakeholder_ref.system", Kind::Text),
        ("stakeholder_ref.id", Kind::Text),
        ("framework", Kind::Text),
        ("scores.*", Kind::Number),
        ("notes.*", Kind::Text),
        ("assessor", Kind::Text),
        ("assessed_at", Kind::Text),
    ]);

    fn parts(body: AssessmentBatchInput) -> (bool, Vec<Value>) {
        (body.atomic, body.items)
    }

    fn item(input: AssessmentItemInput) -> Result<AssessmentUpsert, Invalid> {
        Ok(AssessmentUpsert {
            key: input.key()?,
            draft: AssessmentDraft::try_from(input.fields)?,
        })
    }

    fn import(
        app: &App,
        p: &Principal,
        items: Vec<Result<AssessmentUpsert, Invalid>>,
        atomic: bool,
    ) -> impl Future<Output = Result<Outcomes, AppError>> + Send {
        app.import_assessments(p, items, atomic)
    }
}

/// A batch of assessments.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentBatchInput {
    /// As for accounts: `true` (default) refuses the whole batch for one bad item.
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub atomic: bool,
    /// 1 to 10,000 items, recorded in order.
    #[schema(value_type = Vec<AssessmentItemInput>, min_items = 1, max_items = 10000)]
    pub items: Vec<Value>,
}

impl Checked for AssessmentBatchInput {}

/// Record assessments in bulk, up to 10,000 per call; safe to send again.
///
/// Each item is what `POST /v1/assessments` takes (the account by `account_ref` or
/// `account_id`, the stakeholder by `stakeholder_ref` or `stakeholder_id`), named by `ref`
/// (its id in the system it came from, kept as its `external_ref`) or `id`: an item whose
/// assessment is already recorded is `unchanged`, so a retried sync records nothing twice;
/// one naming an assessment that records other scores fails (assessments do not change:
/// delete and record anew). Without `ref` or `id` every send records a new assessment. One
/// transaction, atomic by default as for accounts; each assessment recorded writes its events
/// (`assessment.created`, `classification.changed`). Write role.
#[utoipa::path(post, path = "/v1/assessments/batch", operation_id = "upsert_assessments", tag = "assessments",
    request_body(content((AssessmentBatchInput = "application/json"), (AssessmentItemInput = "application/x-ndjson"), (String = "text/csv")),
        description = "A JSON batch; or, of any length and streamed, one item per line as `application/x-ndjson` or a CSV sheet (`text/csv`) whose header row names each column's field by its path (`ref.id`, `name`, `attributes.tier`, `attributes.seats:number`)"),
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 200, description = "A result per item; for an NDJSON or CSV body, one NDJSON line per item and a last line with the counts (`{\"summary\": …}`) or the problem that stopped the batch (`{\"error\": …}`)",
        content((UpsertBatchResult = "application/json"), (ItemResultView = "application/x-ndjson"))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn upsert_assessments(
    State(app): State<App>,
    Caller(p): Caller,
    req: Request,
) -> Result<Response, Problem> {
    answer::<Assessments>(app, p, req).await
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The fields at the top of an item's schema.
    fn properties<S: PartialSchema>() -> BTreeSet<String> {
        match S::schema() {
            RefOr::T(Schema::Object(o)) => o.properties.keys().cloned().collect(),
            _ => BTreeSet::new(),
        }
    }

    fn columns<I: Importer>() -> BTreeSet<String> {
        let top = |path: &str| path.split('.').next().unwrap_or(path).to_owned();
        I::KINDS.0.iter().map(|(path, _)| top(path)).collect()
    }

    #[test]
    fn an_item_kept_as_text_parses_as_its_tree_does() {
        let items = [
            r#"{"ref": {"system": "salesforce", "id": "001"}, "name": "Acme", "attributes": {"tier": "gold"}}"#,
            r#"{"ref": {"system": "salesforce", "id": "001"}, "name": "Acme \u00e9"}"#,
            r#"{"ref": {"system": "salesforce", "id": "0\u0001"}, "name": "Acme"}"#,
            r#"{"id": "not-a-uuid", "name": 7, "region": "EMEA"}"#,
            r#"{"name": "Acme", "customer_since": "10000-01-01"}"#,
            r#"[1, 2]"#,
        ];
        for text in items {
            let raw: Box<RawValue> = serde_json::from_str(text).unwrap();
            let tree: Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                parse_raw::<Accounts>(&raw),
                parse::<Accounts>(tree),
                "{text}"
            );
        }
    }

    #[test]
    fn a_csv_column_can_fill_every_field_an_item_takes() {
        assert_eq!(columns::<Accounts>(), properties::<AccountItemInput>());
        assert_eq!(
            columns::<Stakeholders>(),
            properties::<StakeholderItemInput>()
        );
        let mut assessment = properties::<AssessmentItemInput>();
        assert!(
            assessment.remove("external_ref"),
            "named by `ref` in a batch"
        );
        assert_eq!(columns::<Assessments>(), assessment);
    }
}
