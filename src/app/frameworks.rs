//! Framework and matrix use cases: the catalogue (built-ins and the
//! workspace's custom frameworks, versioned), and stateless evaluation and
//! classification.

use super::changes::{data_of, record};
use super::views::FrameworkView;
use super::{App, AppError, IfMatch, Principal, now};
use crate::domain::builtin;
use crate::domain::event::{Change, NewEvent, Resource};
use crate::domain::framework::{Dimension, Evaluation, Framework, Scores, Subject};
use crate::domain::matrix::{Classification, Matrix};
use crate::domain::{Invalid, Role};
use crate::store::Tx;
use crate::store::frameworks::StoredFramework;

/// The version every built-in framework is at.
const BUILT_IN_VERSION: i32 = 1;

/// A framework as published: its definition at one version.
#[derive(Debug, Clone)]
pub struct PublishedFramework {
    pub framework: Framework,
    pub version: i32,
    pub built_in: bool,
}

/// A matrix with the framework and dimensions it reads.
#[derive(Debug, Clone)]
pub struct PublishedMatrix {
    pub framework: String,
    /// Who the framework scores: accounts or stakeholders.
    pub subject: Subject,
    pub matrix: Matrix,
    pub x: Dimension,
    pub y: Dimension,
}

fn published(f: &Framework) -> PublishedFramework {
    PublishedFramework {
        framework: f.clone(),
        version: BUILT_IN_VERSION,
        built_in: true,
    }
}

fn custom(s: StoredFramework) -> PublishedFramework {
    PublishedFramework {
        framework: s.framework,
        version: s.version,
        built_in: false,
    }
}

/// A built-in matrix by key: no trip to the store, since custom matrices may
/// not take a built-in's key.
fn built_in_matrix(key: &str) -> Option<&'static PublishedMatrix> {
    static ALL: std::sync::OnceLock<Vec<PublishedMatrix>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        builtin::frameworks()
            .iter()
            .flat_map(|f| published(f).matrices())
            .collect()
    })
    .iter()
    .find(|m| m.matrix.key == key)
}

impl PublishedFramework {
    /// Its matrices, each with the dimensions it reads.
    pub fn matrices(&self) -> Vec<PublishedMatrix> {
        let f = &self.framework;
        f.matrices
            .iter()
            .filter_map(|m| {
                Some(PublishedMatrix {
                    framework: f.key.clone(),
                    subject: f.subject,
                    matrix: m.clone(),
                    x: f.dimension(&m.x)?.clone(),
                    y: f.dimension(&m.y)?.clone(),
                })
            })
            .collect()
    }
}

/// The lock framework writes take: matrix keys are unique across frameworks,
/// so a change is checked against all the others, which must hold still.
const FRAMEWORKS: &str = "frameworks";

impl App {
    /// Built-ins first, then the workspace's custom frameworks by key, each at its latest version.
    pub async fn frameworks(&self, p: &Principal) -> Result<Vec<PublishedFramework>, AppError> {
        p.require_within_reach(Role::Read)?;
        let mut all: Vec<PublishedFramework> =
            builtin::frameworks().iter().map(published).collect();
        all.extend(
            self.store
                .latest_frameworks(p.workspace_id)
                .await?
                .into_iter()
                .map(custom),
        );
        Ok(all)
    }

    /// A framework at its latest version.
    pub async fn framework(
        &self,
        p: &Principal,
        key: &str,
    ) -> Result<PublishedFramework, AppError> {
        self.framework_at(p, key, None).await
    }

    /// A framework at `version`, or at its latest when `None`.
    pub async fn framework_at(
        &self,
        p: &Principal,
        key: &str,
        version: Option<i32>,
    ) -> Result<PublishedFramework, AppError> {
        p.require_within_reach(Role::Read)?;
        if let Some(f) = builtin::framework(key) {
            return match version {
                None | Some(BUILT_IN_VERSION) => Ok(published(f)),
                Some(_) => Err(AppError::NotFound("framework version")),
            };
        }
        let stored = self.store.framework(p.workspace_id, key, version).await?;
        stored
            .map(custom)
            .ok_or(AppError::NotFound(if version.is_some() {
                "framework version"
            } else {
                "framework"
            }))
    }

    /// Creates a custom framework at version 1.
    pub async fn create_framework(
        &self,
        p: &Principal,
        f: Framework,
    ) -> Result<PublishedFramework, AppError> {
        p.require(Role::Admin)?;
        f.validate()?;
        if builtin::framework(&f.key).is_some() {
            return Err(AppError::Duplicate(format!(
                "{:?} is a built-in framework; clone it under a new key",
                f.key
            )));
        }
        let mut work = self.begin(p).await?;
        let result = async {
            work.lock_name(FRAMEWORKS).await?;
            self.check_matrix_keys(p, &f).await?;
            if work.framework(&f.key).await?.is_some() {
                return Err(AppError::Duplicate(format!(
                    "framework {:?} exists; PUT to change it",
                    f.key
                )));
            }
            work.insert_framework(&f, 1, now()).await?;
            let created = PublishedFramework {
                framework: f,
                version: 1,
                built_in: false,
            };
            record_framework(&mut work, &created, Change::Created).await?;
            Ok(created)
        }
        .await;
        work.finish(result).await
    }

    /// Changes a custom framework: its definition becomes version n+1, and
    /// assessments made with earlier versions keep theirs.
    pub async fn update_framework(
        &self,
        p: &Principal,
        key: &str,
        f: Framework,
        if_match: &IfMatch,
    ) -> Result<PublishedFramework, AppError> {
        p.require(Role::Admin)?;
        if builtin::framework(key).is_some() {
            return Err(AppError::ReadOnly(format!(
                "{key:?} is a built-in framework; clone it to change it"
            )));
        }
        let mut e = f.validate().err().unwrap_or_default();
        if f.key != key {
            e.push("key", "must equal the key in the path");
        }
        e.into_result()?;
        let mut work = self.begin(p).await?;
        let result = async {
            work.lock_name(FRAMEWORKS).await?;
            let found = work.framework(key).await?;
            let current = found.ok_or(AppError::NotFound("framework"))?;
            if_match.check("framework", i64::from(current.version))?;
            self.check_matrix_keys(p, &f).await?;
            let version = current.version + 1;
            work.insert_framework(&f, version, now()).await?;
            let changed = PublishedFramework {
                framework: f,
                version,
                built_in: false,
            };
            record_framework(&mut work, &changed, Change::Updated).await?;
            Ok(changed)
        }
        .await;
        work.finish(result).await
    }

    /// Copies a framework (a built-in, say) under a new key, at version 1.
    /// Matrix keys are unique across frameworks, so the copy's matrices are
    /// renamed: one named like its framework takes the new key, others get
    /// the new key as a prefix.
    pub async fn clone_framework(
        &self,
        p: &Principal,
        key: &str,
        new_key: &str,
        name: Option<String>,
    ) -> Result<PublishedFramework, AppError> {
        p.require(Role::Admin)?;
        let mut f = self.framework(p, key).await?.framework;
        for m in &mut f.matrices {
            m.key = if m.key == f.key {
                new_key.to_owned()
            } else {
                format!("{new_key}_{}", m.key)
            };
        }
        f.key = new_key.to_owned();
        if let Some(name) = name {
            f.name = name;
        }
        self.create_framework(p, f).await
    }

    /// Matrix keys name matrices across frameworks (`/v1/matrices/{key}`), so
    /// another framework's matrix key cannot be reused.
    async fn check_matrix_keys(&self, p: &Principal, f: &Framework) -> Result<(), AppError> {
        let others = self.frameworks(p).await?;
        let mut e = Invalid::default();
        for (i, m) in f.matrices.iter().enumerate() {
            let owner = others
                .iter()
                .find(|o| o.framework.key != f.key && o.framework.matrix(&m.key).is_some());
            if let Some(o) = owner {
                e.push(
                    format!("matrices[{i}].key"),
                    format!("is a matrix of framework {:?}", o.framework.key),
                );
            }
        }
        Ok(e.into_result()?)
    }

    /// Every model's result for `scores`; stores nothing.
    pub async fn evaluate_framework(
        &self,
        p: &Principal,
        key: &str,
        scores: &Scores,
    ) -> Result<(PublishedFramework, Evaluation), AppError> {
        let f = self.framework(p, key).await?;
        let evaluation = f.framework.evaluate(scores)?;
        Ok((f, evaluation))
    }

    pub async fn matrices(&self, p: &Principal) -> Result<Vec<PublishedMatrix>, AppError> {
        let all = self.frameworks(p).await?;
        Ok(all.iter().flat_map(PublishedFramework::matrices).collect())
    }

    pub async fn matrix(&self, p: &Principal, key: &str) -> Result<PublishedMatrix, AppError> {
        p.require_within_reach(Role::Read)?;
        if let Some(m) = built_in_matrix(key) {
            return Ok(m.clone());
        }
        self.matrices(p)
            .await?
            .into_iter()
            .find(|m| m.matrix.key == key)
            .ok_or(AppError::NotFound("matrix"))
    }

    /// Where scores `x` and `y` sit on a matrix; stores nothing.
    pub async fn classify(
        &self,
        p: &Principal,
        key: &str,
        x: f64,
        y: f64,
    ) -> Result<Classification, AppError> {
        p.require_within_reach(Role::Read)?;
        let custom;
        let m = match built_in_matrix(key) {
            Some(m) => m,
            None => {
                custom = self.matrix(p, key).await?;
                &custom
            }
        };
        let mut e = Invalid::default();
        for (field, value, d) in [("x", x, &m.x), ("y", y, &m.y)] {
            if !d.scale.contains(value) {
                e.push(
                    field,
                    format!(
                        "must be a {} score between {} and {}",
                        d.key, d.scale.min, d.scale.max
                    ),
                );
            }
        }
        e.into_result()?;
        Ok(m.matrix.classify(x, y, &m.x.scale, &m.y.scale))
    }
}

/// Records that a framework was created or given a new version, as a GET now returns it.
async fn record_framework(
    tx: &mut Tx,
    published: &PublishedFramework,
    change: Change,
) -> Result<(), AppError> {
    let data = data_of(&FrameworkView::from(published.clone()))?;
    let key = &published.framework.key;
    record(
        tx,
        NewEvent::new(Resource::Framework, change, key, now(), data),
    )
    .await
}
