//! Calls per API operation and the time spent in them, for `--stats`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct Stats {
    calls: Mutex<BTreeMap<&'static str, (u64, Duration)>>,
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
        for (op, n, d) in rows {
            let calls = if n == 1 { "call " } else { "calls" };
            s.push_str(&format!(
                "  {op:<width$} {n:>6} {calls}  {:>9.3} s\n",
                d.as_secs_f64()
            ));
        }
        s
    }
}
