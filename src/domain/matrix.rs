//! Matrices: a grid over two dimensions that says which quadrant (or cell) a
//! customer is in, how to play it, and how close the customer is to where
//! success lies.

use serde::{Deserialize, Serialize};

use super::scale::Scale;

/// Which end of an axis success lies at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    Low,
    High,
}

impl End {
    fn coordinate(self) -> f64 {
        match self {
            End::Low => 0.0,
            End::High => 1.0,
        }
    }
}

/// The corner of the grid where success lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Corner {
    pub x: End,
    pub y: End,
}

/// One cell of the grid: what it is called and what to do about a customer in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    pub key: String,
    pub label: String,
    pub description: String,
    /// The recommended play for a customer in this cell.
    pub play: String,
}

/// A grid over dimensions `x` and `y`. `x_cuts`/`y_cuts` split each axis (a
/// score at or above a cut is past it); `cells` run row by row from low y,
/// and within a row from low x, so a 2×2 lists (low x, low y), (high x, low y),
/// (low x, high y), (high x, high y).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matrix {
    pub key: String,
    pub label: String,
    pub x: String,
    pub y: String,
    pub x_cuts: Vec<f64>,
    pub y_cuts: Vec<f64>,
    pub cells: Vec<Cell>,
    pub optimal: Corner,
}

/// Where a subject sits on a matrix, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub cell: Cell,
    /// Column and row of the cell, from the low end.
    pub column: usize,
    pub row: usize,
    /// The normalised point (x, y) in [0, 1]².
    pub point: (f64, f64),
    /// 1 at the optimal corner, 0 at the opposite one.
    pub closeness: f64,
}

/// How many of `cuts` the score has reached.
pub fn band(cuts: &[f64], score: f64) -> usize {
    cuts.iter().filter(|c| score >= **c).count()
}

/// `1 − dist(point, corner)/√2`, clamped to [0, 1].
pub fn closeness(point: (f64, f64), corner: Corner) -> f64 {
    let dx = point.0 - corner.x.coordinate();
    let dy = point.1 - corner.y.coordinate();
    (1.0 - (dx * dx + dy * dy).sqrt() / std::f64::consts::SQRT_2).clamp(0.0, 1.0)
}

impl Matrix {
    pub fn columns(&self) -> usize {
        self.x_cuts.len() + 1
    }

    pub fn rows(&self) -> usize {
        self.y_cuts.len() + 1
    }

    /// The cell and closeness of scores `x` and `y` on their scales.
    pub fn classify(&self, x: f64, y: f64, x_scale: &Scale, y_scale: &Scale) -> Classification {
        let point = (
            x_scale.norm(x).clamp(0.0, 1.0),
            y_scale.norm(y).clamp(0.0, 1.0),
        );
        let (column, row) = (band(&self.x_cuts, x), band(&self.y_cuts, y));
        Classification {
            cell: self.cells[row * self.columns() + column].clone(),
            column,
            row,
            point,
            closeness: closeness(point, self.optimal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HIGH_HIGH: Corner = Corner {
        x: End::High,
        y: End::High,
    };
    const LOW_LOW: Corner = Corner {
        x: End::Low,
        y: End::Low,
    };

    #[test]
    fn the_cut_is_inclusive() {
        let cuts = [5.5];
        assert_eq!(band(&cuts, 5.0), 0);
        assert_eq!(band(&cuts, 5.5), 1);
        assert_eq!(band(&cuts, 6.0), 1);
        assert_eq!(band(&[3.0, 7.0], 7.0), 2);
    }

    #[test]
    fn closeness_of_technology_at_two_two() {
        let s = Scale::ONE_TO_TEN;
        let c = closeness((s.norm(2.0), s.norm(2.0)), LOW_LOW);
        assert!((c - 0.8889).abs() < 1e-4, "{c}");
        assert_eq!(closeness((1.0, 1.0), HIGH_HIGH), 1.0);
        assert_eq!(closeness((0.0, 0.0), HIGH_HIGH), 0.0);
    }

    fn corner() -> impl Strategy<Value = Corner> {
        let end = prop_oneof![Just(End::Low), Just(End::High)];
        (end.clone(), end).prop_map(|(x, y)| Corner { x, y })
    }

    proptest! {
        #[test]
        fn closeness_is_within_the_unit_interval(x in 0.0..=1.0f64, y in 0.0..=1.0f64, c in corner()) {
            let v = closeness((x, y), c);
            prop_assert!((0.0..=1.0).contains(&v));
        }

        /// Moving a point part of the way toward the optimal corner never lowers closeness.
        #[test]
        fn closeness_never_falls_toward_the_optimum(x in 0.0..=1.0f64, y in 0.0..=1.0f64, t in 0.0..=1.0f64, c in corner()) {
            let (cx, cy) = (c.x.coordinate(), c.y.coordinate());
            let moved = (x + t * (cx - x), y + t * (cy - y));
            prop_assert!(closeness(moved, c) >= closeness((x, y), c) - 1e-12);
        }
    }
}
