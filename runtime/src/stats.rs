//! Calls per API operation and the time spent in them, for `--stats`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::pace::{Concurrency, PaceReport};

#[derive(Debug, Default)]
pub struct Stats {
    calls: Mutex<BTreeMap<&'static str, (u64, Duration)>>,
    /// Attempts the registry throttled, per operation (each retried within its call).
    throttled: Mutex<BTreeMap<String, u64>>,
}

/// Measures one call from creation to [`Timer::done`].
pub struct Timer<'a> {
    stats: &'a Stats,
    operation: &'static str,
    start: Instant,
}

impl Timer<'_> {
    pub fn done(self) {
        let mut calls = self.stats.calls.lock().unwrap_or_else(|p| p.into_inner());
        let entry = calls.entry(self.operation).or_default();
        entry.0 += 1;
        entry.1 += self.start.elapsed();
    }
}

impl Stats {
    pub fn start(&self, operation: &'static str) -> Timer<'_> {
        Timer {
            stats: self,
            operation,
            start: Instant::now(),
        }
    }

    pub fn throttled(&self, operation: String) {
        let mut t = self.throttled.lock().unwrap_or_else(|p| p.into_inner());
        *t.entry(operation).or_default() += 1;
    }

    /// Throttled attempts per operation, by operation name.
    pub fn throttles(&self) -> Vec<(String, u64)> {
        let t = self.throttled.lock().unwrap_or_else(|p| p.into_inner());
        t.iter().map(|(k, n)| (k.clone(), *n)).collect()
    }

    /// `(operation, calls, time)`, by operation name.
    pub fn snapshot(&self) -> Vec<(&'static str, u64, Duration)> {
        let calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        calls.iter().map(|(k, (n, d))| (*k, *n, *d)).collect()
    }

    /// A small table for standard error.
    pub fn table(&self) -> String {
        let rows = self.snapshot();
        let mut s = String::from("API calls:\n");
        if rows.is_empty() {
            s.push_str("  none\n");
        }
        let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(24);
        let throttles: BTreeMap<String, u64> = self.throttles().into_iter().collect();
        for (op, n, d) in rows {
            let calls = if n == 1 { "call " } else { "calls" };
            s.push_str(&format!(
                "  {op:<width$} {n:>6} {calls}  {:>9.3} s",
                d.as_secs_f64()
            ));
            if let Some(t) = throttles.get(op) {
                s.push_str(&format!("  ({t} throttled, retried)"));
            }
            s.push('\n');
        }
        s
    }

    /// The pace the reads went at, after the table.
    pub fn pace_line(report: &PaceReport) -> String {
        match report.mode {
            Concurrency::Fixed(n) => format!(
                "Concurrency: {n} repositories at once (fixed); {} throttled",
                plural(report.throttles)
            ),
            Concurrency::Adaptive => format!(
                "Concurrency: adaptive, from {} up to {} (lowest {}, {} at the end); {} throttled",
                report.start,
                report.peak,
                report.lowest,
                report.end,
                plural(report.throttles)
            ),
        }
    }
}

fn plural(attempts: u64) -> String {
    if attempts == 1 {
        "1 attempt".into()
    } else {
        format!("{attempts} attempts")
    }
}
