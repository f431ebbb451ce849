//! Score scales and normalisation: every model works on points in [0, 1] so
//! frameworks with different scales compare.

use serde::{Deserialize, Serialize};

/// The range a dimension is scored in (built-ins: 1–10, decimals allowed).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    pub min: f64,
    pub max: f64,
}

/// The built-in cut point: a score is high at or above it.
pub const DEFAULT_CUT: f64 = 5.5;

impl Scale {
    pub const ONE_TO_TEN: Scale = Scale {
        min: 1.0,
        max: 10.0,
    };

    /// `norm(v) = (v − min)/(max − min)`, in [0, 1] for a score within the scale.
    pub fn norm(&self, v: f64) -> f64 {
        (v - self.min) / (self.max - self.min)
    }

    pub fn contains(&self, v: f64) -> bool {
        v.is_finite() && v >= self.min && v <= self.max
    }

    /// A usable scale: finite bounds with `min < max`.
    pub fn is_valid(&self) -> bool {
        self.min.is_finite() && self.max.is_finite() && self.min < self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_maps_the_scale_onto_the_unit_interval() {
        let s = Scale::ONE_TO_TEN;
        assert_eq!(s.norm(1.0), 0.0);
        assert_eq!(s.norm(10.0), 1.0);
        assert!((s.norm(2.0) - 1.0 / 9.0).abs() < 1e-12);
        assert!(s.contains(5.5) && !s.contains(0.9) && !s.contains(f64::NAN));
        assert!(!Scale { min: 3.0, max: 3.0 }.is_valid());
    }
}
