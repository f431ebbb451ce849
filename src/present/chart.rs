//! A matrix portfolio drawn as a self-contained SVG a CSM can drop into a QBR:
//! the grid with its cut lines and cell labels, titled axes with their scales,
//! the optimal corner marked, and one point per subject (hover: its name).
//! Points are jittered within their own cell so equal scores do not hide each
//! other; past [`MAX_POINTS`] subjects the chart shows density instead.

use std::fmt::Write;

use super::escape_html as escape;
use crate::domain::framework::Dimension;
use crate::domain::matrix::End;
use crate::domain::portfolio::{
    ChartMarks, MAX_CHART_POINTS as MAX_POINTS, Placement, PortfolioChart,
};

const DENSITY_BINS: usize = 50;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 640.0;
const LEFT: f64 = 90.0;
const TOP: f64 = 70.0;
const PLOT_W: f64 = 620.0;
const PLOT_H: f64 = 480.0;
const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";

fn px(nx: f64) -> f64 {
    LEFT + nx.clamp(0.0, 1.0) * PLOT_W
}

fn py(ny: f64) -> f64 {
    TOP + PLOT_H - ny.clamp(0.0, 1.0) * PLOT_H
}

/// The normalised band edges of an axis: 0, each cut, 1.
fn edges(d: &Dimension, cuts: &[f64]) -> Vec<f64> {
    let mut e = vec![0.0];
    e.extend(cuts.iter().map(|c| d.scale.norm(*c).clamp(0.0, 1.0)));
    e.push(1.0);
    e
}

/// A deterministic offset in [-1, 1] from a subject id and a salt.
fn wobble(id: uuid::Uuid, salt: u64) -> f64 {
    let mut h = (id.as_u128() as u64) ^ ((id.as_u128() >> 64) as u64) ^ salt;
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    (h % 20_001) as f64 / 10_000.0 - 1.0
}

/// Jitters a coordinate by up to a third of one scale step, kept inside its band.
fn jitter(v: f64, edges: &[f64], step: f64, offset: f64) -> f64 {
    let band = edges
        .windows(2)
        .position(|w| v < w[1])
        .unwrap_or(edges.len() - 2);
    let (lo, hi) = (edges[band], edges[band + 1]);
    let margin = ((hi - lo) * 0.02).min(step * 0.1);
    (v + offset * step / 3.0).clamp(lo + margin, hi - margin)
}

/// The chart as a self-contained SVG document.
pub fn svg(chart: &PortfolioChart) -> String {
    Drawing(chart).render()
}

/// A chart being drawn.
struct Drawing<'a>(&'a PortfolioChart);

impl Drawing<'_> {
    fn render(&self) -> String {
        let m = &self.0.matrix;
        let (xe, ye) = (edges(&self.0.x, &m.x_cuts), edges(&self.0.y, &m.y_cuts));
        let mut svg = String::with_capacity(64 * 1024);
        let _ = write!(
            svg,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONT}" role="img"><title>{}</title><rect width="100%" height="100%" fill="#ffffff"/>"##,
            escape(&m.label)
        );
        let _ = write!(
            svg,
            r##"<text x="{LEFT}" y="30" font-size="20" font-weight="600" fill="#111827">{}</text><text x="{LEFT}" y="52" font-size="13" fill="#6b7280">{}</text>"##,
            escape(&m.label),
            escape(&self.0.subtitle)
        );
        self.cells(&mut svg, &xe, &ye);
        self.axes(&mut svg);
        match &self.0.marks {
            ChartMarks::Subjects(all) if all.len() <= MAX_POINTS => {
                self.points(&mut svg, all, &xe, &ye)
            }
            ChartMarks::Subjects(all) => density(&mut svg, all.iter().map(|p| p.point)),
            ChartMarks::Density(points) => density(&mut svg, points.iter().copied()),
        }
        svg.push_str("</svg>");
        svg
    }

    fn cells(&self, svg: &mut String, xe: &[f64], ye: &[f64]) {
        let m = &self.0.matrix;
        let optimal = (
            if m.optimal.x == End::High {
                m.columns() - 1
            } else {
                0
            },
            if m.optimal.y == End::High {
                m.rows() - 1
            } else {
                0
            },
        );
        for (i, cell) in m.cells.iter().enumerate() {
            let (col, row) = (i % m.columns(), i / m.columns());
            let (x0, x1) = (px(xe[col]), px(xe[col + 1]));
            let (y0, y1) = (py(ye[row + 1]), py(ye[row]));
            let best = (col, row) == optimal;
            let fill = if best {
                "#ecfdf5"
            } else if (col + row) % 2 == 0 {
                "#f9fafb"
            } else {
                "#f3f4f6"
            };
            let _ = write!(
                svg,
                r##"<rect x="{x0:.1}" y="{y0:.1}" width="{:.1}" height="{:.1}" fill="{fill}" stroke="#d1d5db"/><text x="{:.1}" y="{:.1}" font-size="13" font-weight="600" fill="#374151">{}</text>"##,
                x1 - x0,
                y1 - y0,
                x0 + 8.0,
                y0 + 20.0,
                escape(&cell.label)
            );
            if best {
                self.optimal_corner(svg, (x0, x1), (y0, y1));
            }
        }
        for (cuts, d, vertical) in [(&m.x_cuts, &self.0.x, true), (&m.y_cuts, &self.0.y, false)] {
            for cut in cuts.iter() {
                let n = d.scale.norm(*cut);
                let (x1, y1, x2, y2) = if vertical {
                    (px(n), TOP, px(n), TOP + PLOT_H)
                } else {
                    (LEFT, py(n), LEFT + PLOT_W, py(n))
                };
                let _ = write!(
                    svg,
                    r##"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="#6b7280" stroke-width="1.5" stroke-dasharray="6 4"/>"##
                );
            }
        }
    }

    /// A green bracket on the frame at the optimal corner, and a legend saying where success lies.
    fn optimal_corner(&self, svg: &mut String, (x0, x1): (f64, f64), (y0, y1): (f64, f64)) {
        let m = &self.0.matrix;
        let (cx, dx) = if m.optimal.x == End::High {
            (x1, -1.0)
        } else {
            (x0, 1.0)
        };
        let (cy, dy) = if m.optimal.y == End::High {
            (y0, 1.0)
        } else {
            (y1, -1.0)
        };
        let arm = 36.0;
        let _ = write!(
            svg,
            r##"<path d="M{:.1} {cy:.1} L{cx:.1} {cy:.1} L{cx:.1} {:.1}" fill="none" stroke="#059669" stroke-width="5"/>"##,
            cx + dx * arm,
            cy + dy * arm
        );
        let end = |e: End| if e == End::High { "high" } else { "low" };
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="52" font-size="13" fill="#047857" text-anchor="end">Optimal corner (green): {} {}, {} {}</text>"##,
            LEFT + PLOT_W,
            end(m.optimal.x),
            escape(&self.0.x.label.to_lowercase()),
            end(m.optimal.y),
            escape(&self.0.y.label.to_lowercase())
        );
    }

    fn axes(&self, svg: &mut String) {
        let m = &self.0.matrix;
        let bottom = TOP + PLOT_H;
        let _ = write!(
            svg,
            r##"<rect x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" fill="none" stroke="#374151" stroke-width="1.5"/>"##
        );
        let ticks = |d: &Dimension, cuts: &[f64]| {
            let mut t = vec![d.scale.min];
            t.extend_from_slice(cuts);
            t.push(d.scale.max);
            t
        };
        for v in ticks(&self.0.x, &m.x_cuts) {
            let x = px(self.0.x.scale.norm(v));
            let _ = write!(
                svg,
                r##"<line x1="{x:.1}" y1="{bottom}" x2="{x:.1}" y2="{:.1}" stroke="#374151"/><text x="{x:.1}" y="{:.1}" font-size="12" fill="#374151" text-anchor="middle">{v}</text>"##,
                bottom + 6.0,
                bottom + 20.0
            );
        }
        for v in ticks(&self.0.y, &m.y_cuts) {
            let y = py(self.0.y.scale.norm(v));
            let _ = write!(
                svg,
                r##"<line x1="{:.1}" y1="{y:.1}" x2="{LEFT}" y2="{y:.1}" stroke="#374151"/><text x="{:.1}" y="{:.1}" font-size="12" fill="#374151" text-anchor="end">{v}</text>"##,
                LEFT - 6.0,
                LEFT - 10.0,
                y + 4.0
            );
        }
        let axis_title =
            |d: &Dimension| escape(&format!("{} ({} to {})", d.label, d.scale.min, d.scale.max));
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="14" font-weight="600" fill="#111827" text-anchor="middle">{}</text>"##,
            LEFT + PLOT_W / 2.0,
            bottom + 48.0,
            axis_title(&self.0.x)
        );
        let (cx, cy) = (LEFT - 52.0, TOP + PLOT_H / 2.0);
        let _ = write!(
            svg,
            r##"<text x="{cx:.1}" y="{cy:.1}" font-size="14" font-weight="600" fill="#111827" text-anchor="middle" transform="rotate(-90 {cx:.1} {cy:.1})">{}</text>"##,
            axis_title(&self.0.y)
        );
    }

    fn points(&self, svg: &mut String, placements: &[Placement], xe: &[f64], ye: &[f64]) {
        let n = placements.len() as f64;
        let r = (7.0 / (n / 40.0).sqrt().max(1.0)).max(2.5);
        let opacity = if n > 200.0 { 0.55 } else { 0.8 };
        let step = |d: &Dimension| 1.0 / (d.scale.max - d.scale.min);
        for p in placements {
            let x = jitter(p.point.0, xe, step(&self.0.x), wobble(p.subject_id, 1));
            let y = jitter(p.point.1, ye, step(&self.0.y), wobble(p.subject_id, 2));
            let title = if p.stakeholder_id.is_some() {
                format!("{} ({}): {}", p.subject_name, p.account_name, p.cell)
            } else {
                format!("{}: {}", p.account_name, p.cell)
            };
            let _ = write!(
                svg,
                r##"<circle cx="{:.1}" cy="{:.1}" r="{r:.1}" fill="#2563eb" fill-opacity="{opacity}" stroke="#1e3a8a" stroke-width="0.6"><title>{}</title></circle>"##,
                px(x),
                py(y),
                escape(&title)
            );
        }
    }
}

/// Bins points into a grid whose cells darken with their count.
fn density(svg: &mut String, points: impl Iterator<Item = (f64, f64)>) {
    let mut bins = vec![0u32; DENSITY_BINS * DENSITY_BINS];
    let bin = |v: f64| ((v.clamp(0.0, 1.0) * DENSITY_BINS as f64) as usize).min(DENSITY_BINS - 1);
    for (x, y) in points {
        bins[bin(y) * DENSITY_BINS + bin(x)] += 1;
    }
    let max = f64::from(bins.iter().copied().max().unwrap_or(1).max(1));
    let (w, h) = (PLOT_W / DENSITY_BINS as f64, PLOT_H / DENSITY_BINS as f64);
    for (i, count) in bins.iter().enumerate().filter(|(_, c)| **c > 0) {
        let (col, row) = (i % DENSITY_BINS, i / DENSITY_BINS);
        let opacity = 0.15 + 0.85 * (f64::from(*count) / max).sqrt();
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="{w:.1}" height="{h:.1}" fill="#2563eb" fill-opacity="{opacity:.2}"><title>{count} subjects</title></rect>"##,
            LEFT + col as f64 * w,
            TOP + PLOT_H - (row + 1) as f64 * h
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::builtin;
    use chrono::Utc;
    use uuid::Uuid;

    fn placement(i: u128, x: f64, y: f64) -> Placement {
        Placement {
            matrix: "readiness".into(),
            subject_id: Uuid::from_u128(i),
            account_id: Uuid::from_u128(i),
            stakeholder_id: None,
            subject_name: format!("Acme <{i}>"),
            account_name: format!("Acme <{i}>"),
            cell: "achiever".into(),
            point: (x, y),
            closeness: 1.0,
            assessed_at: Utc::now(),
            assessment_id: Uuid::from_u128(i),
        }
    }

    fn chart(placements: &[Placement]) -> String {
        let f = builtin::framework("readiness").unwrap();
        let m = f.matrix("readiness").unwrap();
        svg(&PortfolioChart {
            matrix: m.clone(),
            x: f.dimension(&m.x).unwrap().clone(),
            y: f.dimension(&m.y).unwrap().clone(),
            subtitle: "test".into(),
            marks: ChartMarks::Subjects(placements.to_vec()),
        })
    }

    #[test]
    fn one_point_with_labels_axes_and_an_escaped_title() {
        let svg = chart(&[placement(1, 0.9, 0.9)]);
        assert_eq!(svg.matches("<circle").count(), 1);
        assert!(svg.contains("<title>Acme &lt;1&gt;: achiever</title>"));
        for label in [
            "Wanderer",
            "Dreamer",
            "Soldier",
            "Achiever",
            "high goal clarity, high priority",
            "(1 to 10)",
        ] {
            assert!(svg.contains(label), "{label}");
        }
        assert!(!svg.contains("<script") && !svg.contains("@import") && !svg.contains("href"));
    }

    #[test]
    fn many_subjects_become_density() {
        let many: Vec<Placement> = (0..(MAX_POINTS as u128 + 1))
            .map(|i| placement(i, 0.5, 0.5))
            .collect();
        let svg = chart(&many);
        assert!(svg.contains(&format!("<title>{} subjects</title>", MAX_POINTS + 1)));
        assert_eq!(svg.matches("<circle").count(), 0);
    }

    #[test]
    fn jitter_stays_in_its_band() {
        let edges = [0.0, 0.5, 1.0];
        for offset in [-1.0, 1.0] {
            let v = jitter(0.5, &edges, 1.0 / 9.0, offset);
            assert!((0.5..1.0).contains(&v), "{v}");
            let v = jitter(0.49, &edges, 1.0 / 9.0, offset);
            assert!((0.0..0.5).contains(&v), "{v}");
        }
    }
}
