//! Versions read from tags, and their order (DESIGN.md §3.5): what `keep: { newest: N, by:
//! version }` ranks by.
//!
//! A tag, with one leading `v` or `V` removed, is a version when it reads
//! `MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]`: decimal digit runs, then dot-separated
//! identifiers of `[0-9A-Za-z-]`. A missing MINOR or PATCH is 0. Precedence is SemVer 2.0's
//! (§11); BUILD is ignored. Numbers may have leading zeros (`2026.01.15`) and any length: they
//! compare as numbers, never overflowing.

use std::cmp::Ordering;

use crate::image::Image;

/// A version read from a tag. Equal versions compare equal whatever their spelling
/// (`v1.2`, `1.2.0`, `1.2.0+build.5`, `01.2.0`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    major: Number,
    minor: Number,
    patch: Number,
    /// Empty for a release.
    pre: Vec<Identifier>,
}

/// A decimal number as its digits, without leading zeros (`0` for zero): two numbers compare
/// by length, then digit by digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Number(Box<str>);

/// A pre-release identifier. Numeric ones rank below alphanumeric ones (the derived order
/// follows the declaration order of the variants).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Identifier {
    Numeric(Number),
    Alphanumeric(Box<str>),
}

impl Number {
    /// `None` unless `digits` is a non-empty run of ASCII digits.
    fn parse(digits: &str) -> Option<Number> {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let trimmed = digits.trim_start_matches('0');
        Some(Number(
            if trimmed.is_empty() { "0" } else { trimmed }.into(),
        ))
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Whether `text` is a non-empty dot-separated list of non-empty identifiers of
/// `[0-9A-Za-z-]`.
fn identifiers(text: &str) -> Option<std::str::Split<'_, char>> {
    let valid = text
        .split('.')
        .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    valid.then(|| text.split('.'))
}

impl Version {
    /// The version a tag names, if it names one.
    pub fn parse(tag: &str) -> Option<Version> {
        let text = tag
            .strip_prefix('v')
            .or_else(|| tag.strip_prefix('V'))
            .unwrap_or(tag);
        let (text, build) = match text.split_once('+') {
            Some((t, b)) => (t, Some(b)),
            None => (text, None),
        };
        if let Some(b) = build {
            // Checked, then ignored.
            identifiers(b)?;
        }
        let (core, pre) = match text.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (text, None),
        };
        let mut numbers = core.split('.');
        let major = Number::parse(numbers.next()?)?;
        let minor = numbers
            .next()
            .map_or(Some(Number("0".into())), Number::parse)?;
        let patch = numbers
            .next()
            .map_or(Some(Number("0".into())), Number::parse)?;
        if numbers.next().is_some() {
            return None;
        }
        let pre = match pre {
            None => Vec::new(),
            Some(p) => identifiers(p)?
                .map(|id| match Number::parse(id) {
                    Some(n) => Identifier::Numeric(n),
                    None => Identifier::Alphanumeric(id.into()),
                })
                .collect(),
        };
        Some(Version {
            major,
            minor,
            patch,
            pre,
        })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.major
            .cmp(&other.major)
            .then_with(|| self.minor.cmp(&other.minor))
            .then_with(|| self.patch.cmp(&other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                // A pre-release ranks below its release.
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                // Left to right; a shorter list below a longer one with the same start.
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major.0, self.minor.0, self.patch.0)?;
        for (i, id) in self.pre.iter().enumerate() {
            f.write_str(if i == 0 { "-" } else { "." })?;
            match id {
                Identifier::Numeric(n) => f.write_str(&n.0)?,
                Identifier::Alphanumeric(a) => f.write_str(a)?,
            }
        }
        Ok(())
    }
}

/// An image's version: the highest among its tags, if any tag names one, with the tag that
/// names it (the first such tag where several spell the same version).
pub fn of_image(image: &Image) -> Option<(Version, &str)> {
    let mut best: Option<(Version, &str)> = None;
    for tag in image.tags.iter() {
        if let Some(v) = Version::parse(tag)
            && best.as_ref().is_none_or(|(b, _)| v > *b)
        {
            best = Some((v, tag));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(tag: &str) -> Version {
        Version::parse(tag).unwrap_or_else(|| panic!("`{tag}` should be a version"))
    }

    #[test]
    fn the_semver_specs_own_example_is_in_ascending_order() {
        // SemVer 2.0.0, §11.4.
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ];
        for (i, a) in ordered.iter().enumerate() {
            for (j, b) in ordered.iter().enumerate() {
                assert_eq!(v(a).cmp(&v(b)), i.cmp(&j), "{a} vs {b}");
            }
        }
        // §11.2: numerically, not as text.
        assert!(v("1.0.0") < v("2.0.0") && v("2.0.0") < v("2.1.0") && v("2.1.0") < v("2.1.1"));
        assert!(v("1.9.0") < v("1.10.0") && v("1.10.0") < v("1.11.0"));
    }

    #[test]
    fn a_leading_v_and_missing_parts_do_not_change_a_version() {
        assert_eq!(v("v1.2.3"), v("1.2.3"));
        assert_eq!(v("V1.2.3"), v("1.2.3"));
        assert_eq!(v("1.2"), v("1.2.0"));
        assert_eq!(v("v1"), v("1.0.0"));
        assert_eq!(v("1-rc.1"), v("1.0.0-rc.1"));
        assert_eq!(v("1.2").cmp(&v("1.2.0")), Ordering::Equal);
        assert_eq!(v("1.2.3").to_string(), "1.2.3");
        assert_eq!(v("v2-rc.01").to_string(), "2.0.0-rc.1");
        // One `v` only.
        assert_eq!(Version::parse("vv1.2"), None);
    }

    #[test]
    fn build_metadata_is_checked_and_ignored() {
        assert_eq!(v("1.2.3+build.5"), v("1.2.3"));
        assert_eq!(v("1.2.3-rc.1+sha.1a2b3c"), v("1.2.3-rc.1"));
        assert_eq!(v("1.2.3+a").cmp(&v("1.2.3+b")), Ordering::Equal);
        assert_eq!(Version::parse("1.2.3+"), None);
        assert_eq!(Version::parse("1.2.3+a..b"), None);
        assert_eq!(Version::parse("1.2.3+a_b"), None);
    }

    #[test]
    fn calendar_versions_compare_by_their_numbers() {
        assert_eq!(v("2026.01.15"), v("2026.1.15"));
        assert!(v("2026.01.15") < v("2026.02.01"));
        assert!(v("2025.12.31") < v("2026.01.01"));
        assert!(v("2026.1.9") < v("2026.1.10"));
        // Numbers longer than any machine integer still compare as numbers.
        assert!(v("99999999999999999999999") < v("100000000000000000000000"));
        assert_eq!(v("000"), v("0"));
    }

    #[test]
    fn pre_release_identifiers_compare_numerically_below_alphanumeric() {
        assert!(v("1.0.0-2") < v("1.0.0-10"));
        assert!(v("1.0.0-10") < v("1.0.0-a"));
        assert!(v("1.0.0-rc.9") < v("1.0.0-rc.10"));
        assert!(
            v("1.0.0-RC") < v("1.0.0-rc"),
            "ASCII order: upper case first"
        );
        assert!(v("1.0.0-rc") < v("1.0.0-rc.1"));
        assert!(v("1.0.0-x-y") > v("1.0.0-x"));
        assert!(v("1.0.0-rc.1") < v("1.0.0"));
        assert!(v("1.0.0") < v("1.0.1-alpha"));
    }

    #[test]
    fn tags_that_are_not_versions() {
        for tag in [
            "",
            "v",
            "latest",
            "prod",
            "main-41",
            "sha-1a2b3c4",
            "feature-login-1a2b3c4",
            "1.2.3.4",
            "1..2",
            "1.2.",
            ".1",
            "1.2.3-",
            "1.2.3-rc..1",
            "1.2.3-rc_1",
            "1.2.x",
            "-1",
            "+1",
            "v 1",
            "1.2.3 ",
            "١.٢",
        ] {
            assert_eq!(Version::parse(tag), None, "`{tag}`");
        }
    }

    #[test]
    fn an_image_has_the_highest_version_among_its_tags() {
        let image = Image::new(
            crate::image::Digest::from_bytes([1; 32]),
            &["latest", "v1.9.4", "2.1.0-rc.1", "1.10", "v2.1.0-rc.1+b.7"],
            jiff::Timestamp::UNIX_EPOCH,
        );
        assert_eq!(of_image(&image), Some((v("2.1.0-rc.1"), "2.1.0-rc.1")));
        let plain = Image::new(
            crate::image::Digest::from_bytes([2; 32]),
            &["latest"],
            jiff::Timestamp::UNIX_EPOCH,
        );
        assert_eq!(of_image(&plain), None);
    }
}
