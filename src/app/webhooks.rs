//! Webhooks (admin): where the workspace's events are pushed, and what
//! became of each delivery.

use rand::RngCore;
use uuid::Uuid;

use super::changes::{data_of, record};
use super::page::paginate;
use super::views::WebhookView;
use super::{App, AppError, Listed, PageRequest, Principal, now};
use crate::domain::event::{Change, NewEvent, Resource};
use crate::domain::webhook::{
    Delivery, DeliveryStatus, ROTATION_OVERLAP, SECRET_BYTES, SigningKey, Webhook, WebhookPatch,
    check_webhook,
};
use crate::domain::{Invalid, Role};
use crate::store::Tx;

/// A webhook as a create asks for it.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub event_types: Vec<String>,
    pub description: Option<String>,
}

/// What an update changes.
#[derive(Debug, Clone, Default)]
pub struct WebhookChange {
    pub patch: WebhookPatch,
    /// A new signing secret; the old one signs beside it for a day.
    pub rotate_secret: bool,
}

/// A webhook with its signing secret, when this answer is the one that shows it.
#[derive(Debug, Clone)]
pub struct WithSecret {
    pub webhook: Webhook,
    pub secret: Option<String>,
}

const WEBHOOK: &str = "webhook";

/// The event type of a test message.
const TEST_EVENT: &str = "webhook.test";

fn generate_secret() -> String {
    let mut key = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut key);
    SigningKey::secret_of(&key)
}

impl App {
    pub async fn create_webhook(
        &self,
        p: &Principal,
        input: NewWebhook,
    ) -> Result<WithSecret, AppError> {
        p.require(Role::Admin)?;
        check_webhook(
            Some(&input.url),
            Some(&input.event_types),
            input.description.as_deref(),
            self.webhooks.reach,
        )?;
        let at = now();
        let hook = Webhook {
            id: Uuid::now_v7(),
            url: input.url,
            event_types: input.event_types,
            description: input.description.unwrap_or_default(),
            enabled: true,
            disabled_reason: None,
            failing_since: None,
            created_at: at,
            updated_at: at,
        };
        let secret = generate_secret();
        let mut work = self.begin(p).await?;
        let result = async {
            // Events from now on: the feed's end, or its very start when empty.
            let start = work
                .feed_end()
                .await?
                .unwrap_or(crate::domain::event::Position {
                    tx: 0,
                    id: Uuid::nil(),
                });
            work.insert_webhook(&hook, &secret, start).await?;
            record_webhook(&mut work, &hook, Change::Created).await
        }
        .await;
        work.finish(result).await?;
        Ok(WithSecret {
            webhook: hook,
            secret: Some(secret),
        })
    }

    pub async fn webhooks(
        &self,
        p: &Principal,
        page: &PageRequest,
    ) -> Result<Listed<Webhook>, AppError> {
        p.require(Role::Admin)?;
        let (page, size) = page.resolve()?;
        let rows = self.store.webhooks(p.workspace_id, page).await?;
        Ok(paginate(rows, size, |w| w.id))
    }

    pub async fn webhook(&self, p: &Principal, id: Uuid) -> Result<Webhook, AppError> {
        p.require(Role::Admin)?;
        self.store
            .webhook(p.workspace_id, id)
            .await?
            .ok_or(AppError::NotFound(WEBHOOK))
    }

    pub async fn update_webhook(
        &self,
        p: &Principal,
        id: Uuid,
        change: WebhookChange,
    ) -> Result<WithSecret, AppError> {
        p.require(Role::Admin)?;
        let patch = &change.patch;
        check_webhook(
            patch.url.as_deref(),
            patch.event_types.as_deref(),
            patch.description.as_deref(),
            self.webhooks.reach,
        )?;
        let mut work = self.begin(p).await?;
        let result = async {
            let old = held(&mut work, id).await?;
            let hook = old.clone().patched(change.patch.clone());
            if hook == old && !change.rotate_secret {
                return Ok(WithSecret {
                    webhook: old,
                    secret: None,
                });
            }
            let hook = Webhook {
                updated_at: now(),
                ..hook
            };
            work.update_webhook(&hook).await?;
            let secret = if change.rotate_secret {
                let secret = generate_secret();
                work.rotate_webhook_secret(id, &secret, hook.updated_at + ROTATION_OVERLAP)
                    .await?;
                Some(secret)
            } else {
                None
            };
            record_webhook(&mut work, &hook, Change::Updated).await?;
            Ok(WithSecret {
                webhook: hook,
                secret,
            })
        }
        .await;
        work.finish(result).await
    }

    pub async fn delete_webhook(&self, p: &Principal, id: Uuid) -> Result<(), AppError> {
        p.require(Role::Admin)?;
        let mut work = self.begin(p).await?;
        let result = async {
            let hook = held(&mut work, id).await?;
            work.delete_webhook(id).await?;
            record_webhook(&mut work, &hook, Change::Deleted).await
        }
        .await;
        work.finish(result).await
    }

    /// Queues a `webhook.test` message to the webhook, sent like any event.
    pub async fn test_webhook(&self, p: &Principal, id: Uuid) -> Result<Delivery, AppError> {
        p.require(Role::Admin)?;
        let mut work = self.begin(p).await?;
        let result = async {
            let hook = held(&mut work, id).await?;
            let at = now();
            let delivery = Delivery::new(id, Uuid::now_v7(), TEST_EVENT, at);
            let body = serde_json::json!({
                "id": delivery.event_id,
                "type": TEST_EVENT,
                "occurred_at": at,
                "resource": Resource::Webhook.as_str(),
                "resource_id": id.to_string(),
                "account_id": null,
                "account_refs": [],
                "data": data_of(&WebhookView::from(hook))?,
            });
            work.add_deliveries(vec![(delivery.clone(), body.to_string())])
                .await?;
            Ok(delivery)
        }
        .await;
        work.finish(result).await
    }

    /// A webhook's deliveries, newest first, optionally of one status.
    pub async fn webhook_deliveries(
        &self,
        p: &Principal,
        id: Uuid,
        status: Option<&str>,
        page: &PageRequest,
    ) -> Result<Listed<Delivery>, AppError> {
        self.webhook(p, id).await?;
        let status = status
            .map(|s| {
                DeliveryStatus::parse(s).ok_or_else(|| {
                    Invalid::single("status", "must be pending, delivered or failed")
                })
            })
            .transpose()?;
        let (page, size) = page.resolve()?;
        let rows = self
            .store
            .webhook_deliveries(p.workspace_id, id, status, page)
            .await?;
        Ok(paginate(rows, size, |d| d.id))
    }

    /// Sends a delivery again, whatever became of it, with its first body
    /// and message id.
    pub async fn redeliver(
        &self,
        p: &Principal,
        hook: Uuid,
        id: Uuid,
    ) -> Result<Delivery, AppError> {
        p.require(Role::Admin)?;
        let mut work = self.begin(p).await?;
        let result = async {
            let found = work
                .delivery(hook, id)
                .await?
                .ok_or(AppError::NotFound("delivery"))?;
            let at = now();
            work.rearm_delivery(id, at).await?;
            Ok(Delivery {
                status: DeliveryStatus::Pending,
                next_attempt_at: Some(at),
                ..found
            })
        }
        .await;
        work.finish(result).await
    }
}

/// The webhook, held until the unit of work ends (404 for none).
async fn held(tx: &mut Tx, id: Uuid) -> Result<Webhook, AppError> {
    tx.webhook_for_update(id)
        .await?
        .ok_or(AppError::NotFound(WEBHOOK))
}

/// Records a webhook's change: the webhook as listed, never its secret.
pub(super) async fn record_webhook(
    tx: &mut Tx,
    hook: &Webhook,
    change: Change,
) -> Result<(), AppError> {
    let data = data_of(&WebhookView::from(hook.clone()))?;
    record(
        tx,
        NewEvent::new(Resource::Webhook, change, hook.id, hook.updated_at, data),
    )
    .await
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    use super::*;

    #[test]
    fn secrets_are_standard_webhooks_secrets_of_32_random_bytes() {
        let (a, b) = (generate_secret(), generate_secret());
        assert_ne!(a, b);
        let key = a.strip_prefix("whsec_").unwrap();
        assert_eq!(STANDARD.decode(key).unwrap().len(), 32);
    }
}
