//! How many repositories are read at once. Fixed (`--concurrency N`), or adaptive (the
//! default): additive increase while reads succeed, multiplicative decrease when the registry
//! throttles, as TCP paces a link. Throttled attempts are reported by the SDK client's
//! interceptor ([`crate::registry::ecr`]) as they happen, so the pace falls while the SDK is
//! still retrying them.

use std::fmt;
use std::num::NonZeroUsize;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where an adaptive pace starts: the old fixed default.
const ADAPTIVE_START: usize = 8;
/// The most reads an adaptive pace runs at once.
const ADAPTIVE_MAX: usize = 64;
/// Throttles within this long of a decrease answer calls sent before it: one decrease for all.
const DECREASE_SPACING: Duration = Duration::from_secs(1);

/// `--concurrency`: a number, or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concurrency {
    Fixed(NonZeroUsize),
    Adaptive,
}

impl FromStr for Concurrency {
    type Err = String;

    fn from_str(s: &str) -> Result<Concurrency, String> {
        if s == "auto" {
            return Ok(Concurrency::Adaptive);
        }
        s.parse::<NonZeroUsize>()
            .map(Concurrency::Fixed)
            .map_err(|_| format!("`{s}` is neither `auto` nor a number of at least 1"))
    }
}

impl fmt::Display for Concurrency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Concurrency::Fixed(n) => write!(f, "{n}"),
            Concurrency::Adaptive => f.write_str("auto"),
        }
    }
}

impl Concurrency {
    /// How many calls at once a reader that does not adapt (ECS, Lambda) makes.
    pub fn initial(self) -> usize {
        match self {
            Concurrency::Fixed(n) => n.get(),
            Concurrency::Adaptive => ADAPTIVE_START,
        }
    }
}

/// The pace of one registry's reads, shared by the readers and the client that sees throttles.
#[derive(Debug)]
pub struct Pace {
    mode: Concurrency,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    limit: usize,
    /// Reads that succeeded since the limit last changed.
    successes: usize,
    /// No throttle yet: the limit doubles rather than grows by one (slow start).
    slow_start: bool,
    last_decrease: Option<Instant>,
    throttles: u64,
    peak: usize,
    lowest: usize,
}

/// What a pace did, for `--stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaceReport {
    pub mode: Concurrency,
    /// Attempts the registry answered with throttling (each retried by the SDK).
    pub throttles: u64,
    pub start: usize,
    pub peak: usize,
    pub lowest: usize,
    pub end: usize,
}

impl Default for Pace {
    fn default() -> Pace {
        Pace::new(Concurrency::Adaptive)
    }
}

impl Pace {
    pub fn new(mode: Concurrency) -> Pace {
        let start = mode.initial();
        Pace {
            mode,
            state: Mutex::new(State {
                limit: start,
                successes: 0,
                slow_start: true,
                last_decrease: None,
                throttles: 0,
                peak: start,
                lowest: start,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many reads may run now.
    pub fn limit(&self) -> usize {
        self.state().limit
    }

    /// A read finished without error: after as many successes as the limit, one more at once
    /// (twice as many before the first throttle).
    pub fn succeeded(&self) {
        if matches!(self.mode, Concurrency::Fixed(_)) {
            return;
        }
        let mut s = self.state();
        s.successes += 1;
        if s.successes >= s.limit && s.limit < ADAPTIVE_MAX {
            s.limit = if s.slow_start {
                s.limit * 2
            } else {
                s.limit + 1
            }
            .min(ADAPTIVE_MAX);
            s.successes = 0;
            s.peak = s.peak.max(s.limit);
        }
    }

    /// The registry throttled an attempt: half as many reads at once, at most once a second.
    pub fn throttled(&self) {
        self.throttled_at(Instant::now());
    }

    fn throttled_at(&self, now: Instant) {
        let mut s = self.state();
        s.throttles += 1;
        if matches!(self.mode, Concurrency::Fixed(_)) {
            return;
        }
        s.slow_start = false;
        let recent = s
            .last_decrease
            .is_some_and(|t| now.saturating_duration_since(t) < DECREASE_SPACING);
        if !recent {
            s.limit = (s.limit / 2).max(1);
            s.successes = 0;
            s.last_decrease = Some(now);
            s.lowest = s.lowest.min(s.limit);
        }
    }

    pub fn report(&self) -> PaceReport {
        let s = self.state();
        PaceReport {
            mode: self.mode,
            throttles: s.throttles,
            start: self.mode.initial(),
            peak: s.peak,
            lowest: s.lowest,
            end: s.limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_auto_and_numbers_and_refuses_the_rest() {
        assert_eq!("auto".parse(), Ok(Concurrency::Adaptive));
        assert_eq!(
            "32".parse::<Concurrency>().map(Concurrency::initial),
            Ok(32)
        );
        assert!("0".parse::<Concurrency>().is_err());
        assert!(
            "fast"
                .parse::<Concurrency>()
                .unwrap_err()
                .contains("`fast`")
        );
    }

    #[test]
    fn doubles_until_throttled_then_halves_once_per_burst_and_grows_by_one() {
        let pace = Pace::new(Concurrency::Adaptive);
        for _ in 0..8 {
            pace.succeeded();
        }
        assert_eq!(pace.limit(), 16, "slow start doubles");
        for _ in 0..16 {
            pace.succeeded();
        }
        assert_eq!(pace.limit(), 32);
        let t = Instant::now();
        pace.throttled_at(t);
        pace.throttled_at(t + Duration::from_millis(300));
        assert_eq!(pace.limit(), 16, "throttles of one burst halve once");
        for _ in 0..16 {
            pace.succeeded();
        }
        assert_eq!(pace.limit(), 17, "after a throttle, one more at a time");
        pace.throttled_at(t + Duration::from_secs(2));
        assert_eq!(pace.limit(), 8);
        let r = pace.report();
        assert_eq!(
            (r.throttles, r.start, r.peak, r.lowest, r.end),
            (3, 8, 32, 8, 8)
        );
    }

    #[test]
    fn never_below_one_nor_above_the_maximum() {
        let pace = Pace::new(Concurrency::Adaptive);
        let t = Instant::now();
        for i in 0..10 {
            pace.throttled_at(t + DECREASE_SPACING * i);
        }
        assert_eq!(pace.limit(), 1);
        for _ in 0..100_000 {
            pace.succeeded();
        }
        assert_eq!(pace.limit(), ADAPTIVE_MAX);
    }

    #[test]
    fn a_fixed_pace_counts_throttles_and_stays() {
        let pace = Pace::new(Concurrency::Fixed(NonZeroUsize::new(32).unwrap()));
        pace.throttled();
        for _ in 0..100 {
            pace.succeeded();
        }
        assert_eq!(pace.limit(), 32);
        assert_eq!(pace.report().throttles, 1);
    }
}
