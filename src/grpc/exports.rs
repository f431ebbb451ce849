//! `AccountService.ExportAccounts`: the book export as a server stream, a
//! page of accounts read at a time as the client takes them.

use std::collections::VecDeque;
use std::pin::Pin;

use futures_util::Stream;
use tonic::Status;
use uuid::Uuid;

use super::convert::{account_to_pb, timestamp};
use super::pb;
use super::status_of;
use crate::app::{App, ExportPlan, ExportedAccount, Principal};

pub type ExportStream = Pin<Box<dyn Stream<Item = Result<pb::ExportedAccount, Status>> + Send>>;

/// An export between reads: whose, what it holds, where it stands.
struct Pages {
    app: App,
    caller: Principal,
    plan: ExportPlan,
    after: Option<Uuid>,
    read: VecDeque<ExportedAccount>,
}

impl Pages {
    /// The next account, reading the next page when the last is sent;
    /// `None` at the end of the book. An error ends the stream.
    async fn next(mut self) -> Option<(Result<pb::ExportedAccount, Status>, Option<Self>)> {
        loop {
            if let Some(row) = self.read.pop_front() {
                return Some((Ok(exported_to_pb(row)), Some(self)));
            }
            match self
                .app
                .export_page(&self.caller, &self.plan, self.after)
                .await
            {
                Ok(rows) if rows.is_empty() => return None,
                Ok(rows) => {
                    self.after = rows.last().map(|r| r.account.id);
                    self.read.extend(rows);
                }
                Err(e) => return Some((Err(status_of(e)), None)),
            }
        }
    }
}

/// The export of `plan`, streamed.
pub fn stream(app: App, caller: Principal, plan: ExportPlan) -> ExportStream {
    let pages = Pages {
        app,
        caller,
        plan,
        after: None,
        read: VecDeque::new(),
    };
    Box::pin(futures_util::stream::unfold(
        Some(pages),
        |pages| async move { pages?.next().await },
    ))
}

fn exported_to_pb(row: ExportedAccount) -> pb::ExportedAccount {
    let cells = row.cells.into_iter().map(|(key, c)| {
        let cell = pb::ExportedCell {
            cell: c.cell,
            assessed_at: Some(timestamp(c.assessed_at)),
        };
        (key, cell)
    });
    let equations = row.equations.into_iter().map(|(key, (at, value))| {
        let equation = pb::ExportedEquation {
            value,
            assessed_at: Some(timestamp(at)),
        };
        (key, equation)
    });
    let health = row.health.into_iter().map(|(key, (health, missing))| {
        let health = pb::ExportedHealth {
            score: health.score,
            colour: health.colour.as_str().to_owned(),
            missing,
        };
        (key, health)
    });
    let plans = row.plans.into_iter().map(|p| pb::ExportedPlan {
        id: p.plan.id.to_string(),
        name: p.plan.fields.name,
        as_of: p.progress.as_of.to_string(),
        progress: p.progress.progress,
        expected_progress: p.progress.expected,
        health: p.progress.health.as_str().to_owned(),
    });
    pb::ExportedAccount {
        account: Some(account_to_pb(row.account)),
        quarter: row.quarter.to_string(),
        cells: cells.collect(),
        equations: equations.collect(),
        health: health.collect(),
        plans: plans.collect(),
    }
}
