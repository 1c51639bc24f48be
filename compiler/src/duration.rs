//! Retention durations: a whole number of hours, days or weeks (`12h`, `14d`, `2w`).
//!
//! Days are 24 hours, as in ECR's `countUnit: days`. Months and years are refused because
//! their length varies and ECR has no such unit.

use std::fmt;

use jiff::SignedDuration;

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;
/// The longest duration in days: what a native `countNumber` can say, so that a policy file can
/// say every window ECR accepts (`import` writes them). Far beyond any image's age; timestamp
/// arithmetic with such a window saturates rather than overflows.
pub const MAX_DAYS: i64 = crate::native::validate::MAX_INTEGER;
const MAX_SECONDS: i64 = MAX_DAYS * DAY;

/// A positive span of time written in the DSL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    seconds: i64,
}

impl Duration {
    pub fn from_days(days: u32) -> Duration {
        Duration {
            seconds: i64::from(days) * DAY,
        }
    }

    pub fn from_hours(hours: u32) -> Duration {
        Duration {
            seconds: i64::from(hours) * HOUR,
        }
    }

    pub fn as_signed(self) -> SignedDuration {
        SignedDuration::from_secs(self.seconds)
    }

    pub fn seconds(self) -> i64 {
        self.seconds
    }

    /// Whole days, rounded up: the smallest ECR day count that never expires earlier.
    pub fn ceil_days(self) -> i64 {
        (self.seconds + DAY - 1) / DAY
    }

    pub fn is_whole_days(self) -> bool {
        self.seconds % DAY == 0
    }

    /// Parses `14d`, `12h`, `2w`.
    pub fn parse(text: &str) -> Result<Duration, DurationError> {
        let t = text.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (digits, unit) = t.split_at(split);
        if digits.is_empty() {
            return Err(DurationError::Syntax);
        }
        let unit_seconds = match unit {
            "h" => HOUR,
            "d" => DAY,
            "w" => 7 * DAY,
            "m" | "mo" | "month" | "months" | "y" | "yr" | "year" | "years" => {
                return Err(DurationError::CalendarUnit);
            }
            _ => return Err(DurationError::Syntax),
        };
        let n: i64 = digits.parse().map_err(|_| DurationError::TooLong)?;
        if n == 0 {
            return Err(DurationError::Zero);
        }
        let seconds = n.checked_mul(unit_seconds).ok_or(DurationError::TooLong)?;
        if seconds > MAX_SECONDS {
            return Err(DurationError::TooLong);
        }
        Ok(Duration { seconds })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.seconds;
        if s % (7 * DAY) == 0 {
            write!(f, "{}w", s / (7 * DAY))
        } else if s % DAY == 0 {
            write!(f, "{}d", s / DAY)
        } else {
            write!(f, "{}h", s / HOUR)
        }
    }
}

/// Why a duration was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationError {
    Syntax,
    CalendarUnit,
    Zero,
    TooLong,
}

impl DurationError {
    pub fn message(self, text: &str) -> String {
        match self {
            DurationError::Syntax => format!("`{text}` is not a duration"),
            DurationError::CalendarUnit => {
                format!("`{text}` uses a calendar unit, whose length varies")
            }
            DurationError::Zero => format!("`{text}` is zero"),
            DurationError::TooLong => format!("`{text}` is longer than {MAX_DAYS} days"),
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            DurationError::Syntax => {
                "write a whole number followed by `h`, `d` or `w`, like `12h`, `14d` or `2w`"
            }
            DurationError::CalendarUnit => "use days or weeks instead, like `30d` or `52w`",
            DurationError::Zero => "to keep nothing, write `keep: none`",
            DurationError::TooLong => "to keep everything, write `keep: all`",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_rounds_up_to_days() {
        assert_eq!(Duration::parse("14d").unwrap(), Duration::from_days(14));
        assert_eq!(Duration::parse("2w").unwrap(), Duration::from_days(14));
        let h = Duration::parse("36h").unwrap();
        assert_eq!(h.ceil_days(), 2);
        assert!(!h.is_whole_days());
        assert_eq!(Duration::parse("48h").unwrap().ceil_days(), 2);
        assert_eq!(h.to_string(), "36h");
        assert_eq!(Duration::parse("14d").unwrap().to_string(), "2w");
    }

    #[test]
    fn says_every_day_count_ecr_accepts() {
        for days in [36_500, 36_501, 365_000, MAX_DAYS] {
            let d = Duration::parse(&format!("{days}d")).unwrap();
            assert_eq!(d.ceil_days(), days);
            assert_eq!(Duration::parse(&d.to_string()), Ok(d));
        }
        assert_eq!(
            Duration::parse("306783378w").unwrap().ceil_days(),
            306_783_378 * 7
        );
        assert_eq!(
            Duration::parse("51539607528h").unwrap().ceil_days(),
            MAX_DAYS
        );
    }

    #[test]
    fn refuses_what_is_not_a_fixed_span() {
        assert_eq!(Duration::parse("3mo"), Err(DurationError::CalendarUnit));
        assert_eq!(Duration::parse("1y"), Err(DurationError::CalendarUnit));
        assert_eq!(Duration::parse("0d"), Err(DurationError::Zero));
        assert_eq!(Duration::parse("d"), Err(DurationError::Syntax));
        assert_eq!(Duration::parse("1.5d"), Err(DurationError::Syntax));
        assert_eq!(Duration::parse("-1d"), Err(DurationError::Syntax));
        assert_eq!(Duration::parse("2147483648d"), Err(DurationError::TooLong));
        assert_eq!(Duration::parse("306783379w"), Err(DurationError::TooLong));
        assert_eq!(Duration::parse("51539607529h"), Err(DurationError::TooLong));
        assert_eq!(
            Duration::parse("99999999999999999999d"),
            Err(DurationError::TooLong)
        );
    }
}
