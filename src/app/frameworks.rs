//! Framework and matrix use cases: read the catalogue, evaluate scores,
//! classify a point. Stateless: nothing here is stored.

use super::{App, AppError, Principal};
use crate::domain::builtin;
use crate::domain::framework::{Dimension, Evaluation, Framework, Scores};
use crate::domain::matrix::{Classification, Matrix};
use crate::domain::{Invalid, Role};

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

fn published_matrices(f: &Framework) -> impl Iterator<Item = PublishedMatrix> + '_ {
    f.matrices.iter().filter_map(|m| {
        Some(PublishedMatrix {
            framework: f.key.clone(),
            matrix: m.clone(),
            x: f.dimension(&m.x)?.clone(),
            y: f.dimension(&m.y)?.clone(),
        })
    })
}

impl App {
    pub async fn frameworks(&self, p: &Principal) -> Result<Vec<PublishedFramework>, AppError> {
        p.require(Role::Read)?;
        Ok(builtin::frameworks().iter().map(published).collect())
    }

    pub async fn framework(
        &self,
        p: &Principal,
        key: &str,
    ) -> Result<PublishedFramework, AppError> {
        p.require(Role::Read)?;
        builtin::framework(key)
            .map(published)
            .ok_or(AppError::NotFound("framework"))
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
        p.require(Role::Read)?;
        Ok(builtin::frameworks()
            .iter()
            .flat_map(published_matrices)
            .collect())
    }

    pub async fn matrix(&self, p: &Principal, key: &str) -> Result<PublishedMatrix, AppError> {
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
        let m = self.matrix(p, key).await?;
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
