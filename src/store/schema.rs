//! The one schema both backends share: text ids, microsecond integer times,
//! JSON as text.

diesel::table! {
    workspaces (id) {
        id -> Text,
        name -> Text,
        created_at -> BigInt,
        fiscal_year_start_month -> Integer,
        version -> BigInt,
        rate_limit -> Nullable<Text>,
        time_zone -> Text,
        influence -> Nullable<Text>,
        renewal_window_days -> Integer,
    }
}

diesel::table! {
    api_keys (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        name -> Text,
        role -> Text,
        key_hash -> Text,
        prefix -> Text,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        account_ids -> Nullable<Text>,
    }
}

diesel::table! {
    accounts (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        name -> Text,
        segment -> Nullable<Text>,
        owner -> Nullable<Text>,
        lifecycle_stage -> Nullable<Text>,
        customer_since -> Nullable<Text>,
        original_arr -> Nullable<Double>,
        currency -> Text,
        attributes -> Text,
        version -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
        renewal_date -> Nullable<Text>,
        contract_end -> Nullable<Text>,
        current_arr -> Nullable<Double>,
    }
}

diesel::table! {
    stakeholders (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        account_id -> Text,
        name -> Text,
        email -> Nullable<Text>,
        title -> Nullable<Text>,
        role -> Nullable<Text>,
        involved_in_purchase -> Bool,
        attributes -> Text,
        version -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
        left_on -> Nullable<Text>,
    }
}

diesel::table! {
    external_refs (workspace_id, entity, system, external_id) {
        workspace_id -> Text,
        entity -> Text,
        system -> Text,
        external_id -> Text,
        entity_id -> Text,
    }
}

diesel::table! {
    idempotency_keys (workspace_id, api_key_id, key) {
        workspace_id -> Text,
        api_key_id -> Text,
        key -> Text,
        request_hash -> Text,
        status -> Integer,
        headers -> Text,
        body -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    frameworks (workspace_id, key, version) {
        workspace_id -> Text,
        key -> Text,
        version -> Integer,
        definition -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    assessments (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        account_id -> Text,
        stakeholder_id -> Nullable<Text>,
        framework -> Text,
        framework_version -> Integer,
        scores -> Text,
        notes -> Text,
        assessor -> Nullable<Text>,
        assessed_at -> BigInt,
        results -> Text,
        created_at -> BigInt,
        ref_system -> Nullable<Text>,
        ref_id -> Nullable<Text>,
    }
}

diesel::table! {
    classifications (workspace_id, assessment_id, matrix) {
        workspace_id -> Text,
        assessment_id -> Text,
        matrix -> Text,
        subject_id -> Text,
        account_id -> Text,
        stakeholder_id -> Nullable<Text>,
        cell -> Text,
        x -> Double,
        y -> Double,
        closeness -> Double,
        assessed_at -> BigInt,
        superseded_at -> BigInt,
    }
}

diesel::table! {
    definitions (workspace_id, kind, key) {
        workspace_id -> Text,
        kind -> Text,
        key -> Text,
        definition -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        version -> BigInt,
    }
}

diesel::table! {
    observations (workspace_id, account_id, metric, observed_at) {
        workspace_id -> Text,
        account_id -> Text,
        metric -> Text,
        observed_at -> BigInt,
        value -> Double,
    }
}

diesel::table! {
    success_plan_templates (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        document -> Text,
        version -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    success_plans (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        account_id -> Text,
        status -> Text,
        owner -> Nullable<Text>,
        document -> Text,
        version -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    success_plan_metrics (workspace_id, plan_id, metric) {
        workspace_id -> Text,
        plan_id -> Text,
        metric -> Text,
    }
}

diesel::table! {
    successes (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        account_id -> Text,
        plan_id -> Nullable<Text>,
        objective_id -> Nullable<Text>,
        achieved_on -> Text,
        document -> Text,
        version -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    stakeholders,
    external_refs,
    classifications,
    assessments,
    observations,
    success_plans,
    successes
);

diesel::allow_tables_to_appear_in_same_query!(api_keys, workspaces);

diesel::table! {
    events (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        tx -> BigInt,
        #[sql_name = "type"]
        type_ -> Text,
        occurred_at -> BigInt,
        resource -> Text,
        resource_id -> Text,
        account_id -> Nullable<Text>,
        account_refs -> Text,
        data -> Text,
    }
}

diesel::table! {
    event_horizons (workspace_id) {
        workspace_id -> Text,
        tx -> BigInt,
        id -> Text,
    }
}

diesel::table! {
    webhooks (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        url -> Text,
        event_types -> Text,
        description -> Text,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<BigInt>,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<BigInt>,
        cursor_tx -> BigInt,
        cursor_id -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        webhook_id -> Text,
        event_id -> Text,
        event_type -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<BigInt>,
        last_attempt_at -> Nullable<BigInt>,
        last_status_code -> Nullable<Integer>,
        last_latency_ms -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(webhooks, webhook_deliveries);

diesel::table! {
    qbr_links (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        account_id -> Text,
        metric_set -> Text,
        token_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        last_opened_at -> Nullable<BigInt>,
        open_count -> BigInt,
    }
}

diesel::table! {
    risks (workspace_id, id) {
        workspace_id -> Text,
        id -> Text,
        account_id -> Text,
        kind -> Text,
        reason -> Text,
        raised_at -> BigInt,
        raised_by -> Text,
        resolved_at -> Nullable<BigInt>,
        resolved_by -> Nullable<Text>,
        resolution -> Nullable<Text>,
        version -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(risks, accounts);
