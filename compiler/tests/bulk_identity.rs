//! The fast path of `evaluate` (`bulk`) against the general one, over random policies and
//! random describe-images documents (times as epoch numbers with fractions or ISO strings,
//! ties, pulls, several repositories or none named, unknown members):
//!
//!   where the fast path reads and decides, its expired and archived digests are exactly
//!   those of `parse_images_json` + `reference::evaluate`;
//!   it declines every document the general path refuses (any byte changed or cut);
//!   it does decide plain documents under the policies it supports.

#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops at the first surprise"
)]

use std::collections::BTreeSet;

use ecr_lifecycle_compiler::bulk;
use ecr_lifecycle_compiler::dsl::Policy;
use ecr_lifecycle_compiler::image::{Digest, parse_images_json};
use ecr_lifecycle_compiler::reference::{self, Fate};
use ecr_lifecycle_compiler::source::SourceFile;
use jiff::Timestamp;
use proptest::prelude::*;

const DAY: i64 = 86_400;
const NOW: i64 = 1_800_000_000;
const TAGS: &[&str] = &[
    "v1", "v2", "v10", "prod", "prod-1", "dev", "dev-2", "rc1", "latest", "a", "ab", "b",
];
const GLOBS: &[&str] = &[
    "v*", "prod*", "dev-*", "*", "a*", "*b", "rc?", "v1", "prod", "latest", "*1*", "*-*",
];

fn now() -> Timestamp {
    Timestamp::from_second(NOW).unwrap()
}

fn globs() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(prop::sample::select(GLOBS), 1..3)
}

fn quoted(list: &[&str]) -> String {
    let items: Vec<String> = list.iter().map(|g| format!("'{g}'")).collect();
    format!("[{}]", items.join(", "))
}

fn matcher() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just("any".to_string()),
        3 => Just("{untagged: true}".to_string()),
        2 => Just("{untagged: false}".to_string()),
        4 => globs().prop_map(|g| format!("{{tags: {}}}", quoted(&g))),
        2 => globs().prop_map(|g| format!("{{tags_all: {}}}", quoted(&g))),
        1 => Just("{tag_regex: 'v[0-9]+'}".to_string()),
        1 => Just("{where: \"imageSizeInBytes > `500`\"}".to_string()),
    ]
}

fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..12).prop_map(|d| format!("{d}d")),
        (1u32..200).prop_map(|h| format!("{h}h")),
    ]
}

fn keep() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just("all".to_string()),
        2 => Just("none".to_string()),
        4 => (1u32..6).prop_map(|n| format!("{{newest: {n}}}")),
        4 => duration().prop_map(|d| format!("{{within: {d}}}")),
        2 => duration().prop_map(|d| format!("{{pulled_within: {d}}}")),
        2 => ((1u32..4), duration()).prop_map(|(n, d)| format!("{{newest: {n}, within: {d}}}")),
        3 => (duration(), globs(), 0u32..4).prop_map(|(d, g, n)| format!(
            "{{within: {d}, anchor: {{oldest_tagged: {}}}, at_least: {n}}}", quoted(&g)
        )),
        1 => (1u32..4).prop_map(|n| format!("{{newest: {n}, by: version}}")),
    ]
}

fn policy() -> impl Strategy<Value = Policy> {
    prop::collection::vec((matcher(), keep(), prop::bool::weighted(0.3)), 1..5).prop_filter_map(
        "unreachable rules (and `keep: all` with `otherwise: archive`) are refused",
        |rules| {
            let mut text = String::from("version: 1\nrepositories: ['*']\nrules:\n");
            for (i, (m, k, archives)) in rules.iter().enumerate() {
                text.push_str(&format!("  - name: r{i}\n    match: {m}\n    keep: {k}\n"));
                if *archives {
                    text.push_str("    otherwise: archive\n");
                }
            }
            ecr_lifecycle_compiler::parse(&SourceFile::new("p.yaml", text)).ok()
        },
    )
}

/// How a time is written: epoch seconds, with a fraction, or an ISO string.
fn time_text(t: i64, form: u8, millis: u16) -> String {
    match form % 3 {
        0 => t.to_string(),
        1 => format!("{t}.{millis:03}"),
        _ => {
            let ts = Timestamp::from_second(t).unwrap();
            format!("\"{}\"", ts.strftime("%Y-%m-%dT%H:%M:%S+00:00"))
        }
    }
}

#[derive(Debug, Clone)]
struct Detail {
    repository: Option<u8>,
    digest: u8,
    tags: Option<Vec<&'static str>>,
    pushed: i64,
    pulled: Option<i64>,
    form: u8,
    millis: u16,
    extra: bool,
    /// An archived image, which only the general path reads.
    archived: bool,
}

fn detail() -> impl Strategy<Value = Detail> {
    (
        prop::option::weighted(0.8, 0u8..3),
        any::<u8>(),
        prop::option::weighted(0.8, prop::collection::vec(prop::sample::select(TAGS), 0..3)),
        // Pushes on whole days and hours, so ties and exact window edges come up.
        (0i64..40, 0i64..3).prop_map(|(d, h)| NOW - d * DAY - h * 3600),
        prop::option::weighted(0.3, (0i64..40).prop_map(|d| NOW - d * DAY)),
        any::<u8>(),
        prop_oneof![Just(0u16), Just(500), 0u16..1000],
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.03),
    )
        .prop_map(
            |(repository, digest, tags, pushed, pulled, form, millis, extra, archived)| Detail {
                repository,
                digest,
                tags,
                pushed,
                pulled,
                form,
                millis,
                extra,
                archived,
            },
        )
}

fn digest_text(n: u8) -> String {
    format!("sha256:{:064x}", u64::from(n) * 0x9e37_79b9 + 1)
}

/// A describe-images document; digests may repeat (the general path refuses those).
fn document(details: &[Detail], wrapped: bool) -> String {
    let items: Vec<String> = details
        .iter()
        .map(|d| {
            let mut members = Vec::new();
            if d.extra {
                members.push(r#""registryId":"123456789012""#.to_string());
            }
            if let Some(r) = d.repository {
                members.push(format!(r#""repositoryName":"repo-{r}""#));
            }
            members.push(format!(r#""imageDigest":"{}""#, digest_text(d.digest)));
            if let Some(tags) = &d.tags {
                let t: Vec<String> = tags.iter().map(|t| format!("\"{t}\"")).collect();
                members.push(format!(r#""imageTags":[{}]"#, t.join(",")));
            }
            members.push(format!(
                r#""imagePushedAt":{}"#,
                time_text(d.pushed, d.form, d.millis)
            ));
            if let Some(p) = d.pulled {
                members.push(format!(
                    r#""lastRecordedPullTime":{}"#,
                    time_text(p, d.form / 3, d.millis)
                ));
            }
            if d.extra {
                members.push(
                    r#""imageSizeInBytes":1234,"imageScanFindingsSummary":{"findingSeverityCounts":{"HIGH":2}},"x":[true,false,null,-1.5e3]"#
                        .to_string(),
                );
                members.push(r#""imageStatus":"ACTIVE""#.to_string());
            }
            if d.archived {
                members.push(r#""imageStatus":"ARCHIVED""#.to_string());
            }
            format!("{{{}}}", members.join(", "))
        })
        .collect();
    let array = format!("[\n  {}\n]", items.join(",\n  "));
    if wrapped {
        format!("{{\"imageDetails\": {array}, \"nextToken\": null}}\n")
    } else {
        array
    }
}

type Outcome = (BTreeSet<Digest>, BTreeSet<Digest>);

/// What `evaluate` decides through the general path; `None` when it refuses the document.
fn general(policy: &Policy, text: &str) -> Option<Outcome> {
    let repos = parse_images_json(text).ok()?;
    let (mut expired, mut archived) = (BTreeSet::new(), BTreeSet::new());
    for repo in repos {
        let e = reference::evaluate(policy, &repo.images, repo.repository.as_deref(), now());
        expired.extend(e.expired(&repo.images));
        archived.extend(e.archived(&repo.images));
    }
    Some((expired, archived))
}

/// A reader that hands out at most `step` bytes at a time, so that every string, number and
/// literal is cut somewhere by the end of the buffer.
struct Trickle<'a> {
    text: &'a [u8],
    step: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.text.len());
        buf[..n].copy_from_slice(&self.text[..n]);
        self.text = &self.text[n..];
        Ok(n)
    }
}

/// The same through the fast path; `None` when it declines.
fn fast(policy: &Policy, text: &str) -> Option<Outcome> {
    fast_from(policy, text.as_bytes())
}

fn fast_from(policy: &Policy, reader: impl std::io::Read) -> Option<Outcome> {
    let repos = bulk::read(reader).ok()?;
    let (mut expired, mut archived) = (BTreeSet::new(), BTreeSet::new());
    for repo in &repos {
        let fates = bulk::fates(policy, repo, now()).ok()?;
        expired.extend(fates.digests(repo, Fate::Expire));
        archived.extend(fates.digests(repo, Fate::Archive));
    }
    Some((expired, archived))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_fast_path_decides_as_the_reference_or_declines(
        policy in policy(),
        details in prop::collection::vec(detail(), 0..40),
        wrapped in any::<bool>(),
    ) {
        let text = document(&details, wrapped);
        let expected = general(&policy, &text);
        let got = fast(&policy, &text);
        if let Some(got) = &got {
            prop_assert_eq!(Some(got), expected.as_ref(), "{}", text);
        }
        let trickled = fast_from(&policy, Trickle { text: text.as_bytes(), step: 1 + text.len() % 7 });
        prop_assert_eq!(&trickled, &got, "read a few bytes at a time:\n{}", text);
        let distinct: BTreeSet<(Option<u8>, u8)> =
            details.iter().map(|d| (d.repository, d.digest)).collect();
        let plain = distinct.len() == details.len() && details.iter().all(|d| !d.archived);
        if plain && bulk::supports(&policy) {
            prop_assert!(got.is_some(), "declined a plain document:\n{}", text);
        }
    }

    #[test]
    fn the_fast_path_declines_what_the_general_path_refuses(
        policy in policy(),
        details in prop::collection::vec(detail(), 1..8),
        at in any::<prop::sample::Index>(),
        byte in prop::sample::select(&b"{}[],:\" 0-.eE\\xn\x01"[..]),
        cut in any::<bool>(),
    ) {
        let mut bytes = document(&details, true).into_bytes();
        let i = at.index(bytes.len());
        if cut {
            bytes.truncate(i);
        } else {
            bytes[i] = byte;
        }
        let Ok(text) = String::from_utf8(bytes) else { return Ok(()) };
        if general(&policy, &text).is_none() {
            prop_assert!(fast(&policy, &text).is_none(), "accepted what the general path refuses:\n{}", text);
        }
    }
}

#[test]
fn the_fast_path_declines_what_it_does_not_read_itself() {
    let d = digest_text(1);
    for text in [
        format!(r#"[{{"imageDigest":"{d}","imagePushedAt":1,"imageTags":["a\u0062"]}}]"#),
        format!(r#"[{{"imageDigest":"{d}","imagePushedAt":1,"childManifestDigests":[]}}]"#),
        format!(r#"[{{"imageDigest":"{d}","imagePushedAt":1,"imageStatus":"ARCHIVED"}}]"#),
        format!(r#"[{{"imageDigest":"{d}","imagePushedAt":1,"imageTags":null}}]"#),
        format!(r#"[{{"imageDigest":"{d}","imagePushedAt":1,"imagePushedAt":2}}]"#),
        format!(r#"[{{"imageDigest":"{d}","imagePushedAt":1}}] x"#),
        format!(r#"{{"imageDetails":[{{"imageDigest":"{d}","imagePushedAt":1e9}}]}}"#),
        format!(
            r#"{{"imageDetails":[{{"imageDigest":"{d}","imagePushedAt":1,"imageSizeInBytes":1.0}}]}}"#
        ),
        r#"{"nextToken":"x"}"#.to_string(),
    ] {
        assert!(bulk::read(text.as_bytes()).is_err(), "{text}");
    }
    let twice = format!(
        r#"[{{"imageDigest":"{d}","imagePushedAt":1}},{{"imageDigest":"{d}","imagePushedAt":2}}]"#
    );
    let repos = bulk::read(twice.as_bytes()).unwrap();
    let policy = ecr_lifecycle_compiler::parse(&SourceFile::new(
        "p.yaml",
        "version: 1\nrules:\n  - {name: r, match: any, keep: {newest: 1}}\n".to_string(),
    ))
    .unwrap();
    assert!(bulk::fates(&policy, &repos[0], now()).is_err());
}

#[test]
fn a_document_larger_than_the_buffer_reads_whole() {
    // Past the size decided on two threads, too.
    let details: Vec<String> = (0..60_000u32)
        .map(|i| {
            format!(
                r#"{{"repositoryName":"r","imageDigest":"sha256:{i:064x}","imageTags":["t{i}"],"imagePushedAt":{}.{:03},"registryId":"123456789012"}}"#,
                NOW - i64::from(i),
                i % 1000
            )
        })
        .collect();
    let text = format!("{{\"imageDetails\":[{}]}}", details.join(","));
    assert!(text.len() > 2 << 20);
    let repos = bulk::read(text.as_bytes()).unwrap();
    assert_eq!(repos.len(), 1);
    assert_eq!(repos[0].records.len(), 60_000);
    let mut tags = Vec::new();
    repos[0].tags_into(&repos[0].records[12_345], &mut tags);
    assert_eq!(tags, ["t12345"]);
    let policy = ecr_lifecycle_compiler::parse(&SourceFile::new(
        "p.yaml",
        "version: 1\nrules:\n  - {name: r, match: {tags: ['t1*']}, keep: {newest: 100}}\n"
            .to_string(),
    ))
    .unwrap();
    assert_eq!(fast(&policy, &text), general(&policy, &text));
    // A digest listed twice, far apart: declined, for the general path to say so.
    let twice = text.replacen(&format!("{:064x}", 59_999), &format!("{:064x}", 7), 1);
    assert_eq!(general(&policy, &twice), None);
    assert_eq!(fast(&policy, &twice), None);
}
