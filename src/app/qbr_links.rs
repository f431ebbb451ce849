//! Share links: a CSM sends a customer a URL that shows their QBR pack, for
//! the customer, without a key; it expires, can be revoked, and counts its opens.

use uuid::Uuid;

use super::changes::{data_of, record_about};
use super::page::paginate;
use super::views::QbrLinkView;
use super::workspaces::{hash, random_token};
use super::{App, AppError, Listed, PageRequest, Principal, Qbr, now};
use crate::domain::event::{Change, NewEvent, Resource};
use crate::domain::metric_set::MetricSet;
use crate::domain::qbr::Audience;
use crate::domain::qbr_link::{QbrLink, ShareRequest};
use crate::domain::{Reach, Role};
use crate::store::Tx;

const LINK: &str = "qbr link";
const TOKEN_PREFIX: &str = "csq_";
/// Where a link's page is served, before its token.
pub const SHARE_PATH: &str = "/share/qbr/";

/// A new link with its token, shown this once.
#[derive(Debug, Clone)]
pub struct SharedQbr {
    pub link: QbrLink,
    pub token: String,
}

impl App {
    /// Makes a link to `account_id`'s customer QBR (write role).
    pub async fn share_qbr(
        &self,
        p: &Principal,
        account_id: Uuid,
        request: ShareRequest,
    ) -> Result<SharedQbr, AppError> {
        p.require(Role::Write)?;
        self.catalogued::<MetricSet>(p, &request.metric_set).await?;
        let at = now();
        let shared = SharedQbr {
            link: QbrLink {
                id: Uuid::now_v7(),
                account_id,
                metric_set: request.metric_set.clone(),
                created_at: at,
                expires_at: request.expires_at(at),
                revoked_at: None,
                last_opened_at: None,
                open_count: 0,
            },
            token: random_token(TOKEN_PREFIX),
        };
        let mut work = self.begin(p).await?;
        let result = async {
            work.account(account_id)
                .await?
                .ok_or(AppError::NotFound("account"))?;
            work.insert_qbr_link(&shared.link, &hash(&shared.token))
                .await?;
            record_link(&mut work, &shared.link, Change::Created).await
        }
        .await;
        work.finish(result).await?;
        Ok(shared)
    }

    /// The links made to an account's QBR, revoked and expired ones too.
    pub async fn qbr_links(
        &self,
        p: &Principal,
        account_id: Uuid,
        page: &PageRequest,
    ) -> Result<Listed<QbrLink>, AppError> {
        p.require(Role::Read)?;
        let (page, size) = page.resolve()?;
        self.account(p, account_id).await?;
        let rows = self
            .store
            .qbr_links(p.workspace_id, account_id, page)
            .await?;
        Ok(paginate(rows, size, |l| l.id))
    }

    /// Revokes a link at once; revoking twice is harmless.
    pub async fn revoke_qbr_link(&self, p: &Principal, id: Uuid) -> Result<(), AppError> {
        p.require(Role::Write)?;
        let mut work = self.begin(p).await?;
        let result = async {
            let link = work.qbr_link(id).await?.ok_or(AppError::NotFound(LINK))?;
            if link.revoked_at.is_some() {
                return Ok(());
            }
            let at = now();
            work.revoke_qbr_link(id, at).await?;
            let revoked = QbrLink {
                revoked_at: Some(at),
                ..link
            };
            record_link(&mut work, &revoked, Change::Deleted).await
        }
        .await;
        work.finish(result).await
    }

    /// The customer QBR a live link shows, counting the open; not found for
    /// an unknown, revoked or expired token.
    pub async fn open_shared_qbr(
        &self,
        token: &str,
        quarter: Option<&str>,
    ) -> Result<Qbr, AppError> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 100 {
            return Err(AppError::NotFound(LINK));
        }
        let (workspace_id, link) = self
            .store
            .open_qbr_link(&hash(token), now())
            .await?
            .ok_or(AppError::NotFound(LINK))?;
        // The link reads as a read key limited to its account would.
        let reader = Principal {
            workspace_id,
            key_id: link.id,
            role: Role::Read,
            reach: Reach::Accounts(vec![link.account_id].into()),
            workspace_rate_limit: None,
            zone: crate::domain::time::Zone::default(),
        };
        let sets = [link.metric_set];
        self.qbr(
            &reader,
            link.account_id,
            &sets,
            quarter,
            Some(Audience::Customer),
        )
        .await
    }
}

/// Records a link's creation or revocation: the link as listed, never its token.
async fn record_link(tx: &mut Tx, link: &QbrLink, change: Change) -> Result<(), AppError> {
    let data = data_of(&QbrLinkView::from(link.clone()))?;
    let at = link.revoked_at.unwrap_or(link.created_at);
    let event = NewEvent::new(Resource::QbrLink, change, link.id, at, data);
    record_about(tx, link.account_id, event).await
}
