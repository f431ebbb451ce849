//! A small Prometheus registry: request counts and latency per door, route and
//! outcome. Routes are templates (`/v1/accounts/{id}`), so label sets stay bounded.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Series by door, then route, then outcome: a request finds its series by
/// borrowed strings, allocating only the first time a label set is seen.
type Series3 = BTreeMap<&'static str, BTreeMap<String, BTreeMap<String, Series>>>;

/// Request metrics of both doors; cheap to clone.
#[derive(Clone, Default)]
pub struct Metrics {
    series: Arc<Mutex<Series3>>,
}

impl Metrics {
    /// Records one request of `door` (`http`/`grpc`) to `route` that ended in `outcome`.
    pub fn observe(&self, door: &'static str, route: &str, outcome: &str, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let mut map = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let routes = map.entry(door).or_default();
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), BTreeMap::new());
        }
        let outcomes = routes.get_mut(route).expect("inserted above");
        if !outcomes.contains_key(outcome) {
            outcomes.insert(outcome.to_owned(), Series::default());
        }
        let s = outcomes.get_mut(outcome).expect("inserted above");
        s.count += 1;
        s.sum += secs;
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                s.buckets[i] += 1;
            }
        }
    }

    /// Every series with its labels, in label order.
    fn each(map: &Series3) -> impl Iterator<Item = ((&str, &str, &str), &Series)> {
        map.iter().flat_map(|(door, routes)| {
            routes.iter().flat_map(move |(route, outcomes)| {
                outcomes
                    .iter()
                    .map(move |(outcome, s)| ((*door, route.as_str(), outcome.as_str()), s))
            })
        })
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let map = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        out.push_str("# HELP csapi_requests_total Requests served, by door, route and outcome.\n");
        out.push_str("# TYPE csapi_requests_total counter\n");
        for ((door, route, outcome), s) in Self::each(&map) {
            let _ = writeln!(
                out,
                "csapi_requests_total{{door=\"{door}\",route=\"{route}\",outcome=\"{outcome}\"}} {}",
                s.count
            );
        }
        out.push_str("# HELP csapi_request_duration_seconds Request latency.\n");
        out.push_str("# TYPE csapi_request_duration_seconds histogram\n");
        for ((door, route, outcome), s) in Self::each(&map) {
            let labels = format!("door=\"{door}\",route=\"{route}\",outcome=\"{outcome}\"");
            for (le, n) in BUCKETS.iter().zip(s.buckets) {
                let _ = writeln!(
                    out,
                    "csapi_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "csapi_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "csapi_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "csapi_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let m = Metrics::default();
        m.observe("http", "/v1/accounts", "200", Duration::from_millis(3));
        m.observe("http", "/v1/accounts", "200", Duration::from_millis(30));
        m.observe("grpc", "GetAccount", "OK", Duration::from_millis(1));
        let text = m.render();
        assert!(text.contains(
            "csapi_requests_total{door=\"http\",route=\"/v1/accounts\",outcome=\"200\"} 2"
        ));
        assert!(text.contains("route=\"/v1/accounts\",outcome=\"200\",le=\"0.005\"} 1"));
        assert!(text.contains("route=\"/v1/accounts\",outcome=\"200\",le=\"0.05\"} 2"));
        let grpc = text.find("door=\"grpc\",route=\"GetAccount\",outcome=\"OK\"} 1");
        let http = text.find("door=\"http\"");
        assert!(grpc.unwrap() < http.unwrap(), "series in label order");
    }
}
