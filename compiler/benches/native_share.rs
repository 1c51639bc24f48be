//! Native share benchmark: prints figures, asserts nothing.
//!
//! For everyday policies and random ones, over random repositories, the share of the images a
//! policy expires that ECR's native policy expires by itself (the rest is the runner's work).
//! The larger the share, the less the runner has to do, and the more happens even when nobody
//! runs `apply`. Run with `cargo bench -p ecr-lifecycle-compiler --bench native_share`.

#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops at the first surprise"
)]

use ecr_lifecycle_compiler::dsl::Policy;
use ecr_lifecycle_compiler::image::{Digest, Image};
use ecr_lifecycle_compiler::native;
use ecr_lifecycle_compiler::reference;
use ecr_lifecycle_compiler::source::SourceFile;
use ecr_lifecycle_compiler::split;
use jiff::{SignedDuration, Timestamp};

/// Policies people write first, as rule lists (`match`, `keep`).
const EVERYDAY: &[(&str, &[(&str, &str)])] = &[
    (
        "untagged 14d, any newest 30",
        &[
            ("{untagged: true}", "{within: 14d}"),
            ("any", "{newest: 30}"),
        ],
    ),
    (
        "untagged 1d, any newest 100",
        &[
            ("{untagged: true}", "{within: 1d}"),
            ("any", "{newest: 100}"),
        ],
    ),
    (
        "untagged 7d, v* newest 20, any 90d",
        &[
            ("{untagged: true}", "{within: 7d}"),
            ("{tags: ['v*']}", "{newest: 20}"),
            ("any", "{within: 90d}"),
        ],
    ),
    (
        "prod/latest all, untagged 14d, any newest 50",
        &[
            ("{tags: ['prod*', latest]}", "all"),
            ("{untagged: true}", "{within: 14d}"),
            ("any", "{newest: 50}"),
        ],
    ),
    (
        "untagged 30d, tagged newest 200",
        &[
            ("{untagged: true}", "{within: 30d}"),
            ("{untagged: false}", "{newest: 200}"),
        ],
    ),
    (
        "dev/staging 30d, untagged 3d, any newest 100",
        &[
            ("{tags: ['dev-*', 'staging-*']}", "{within: 30d}"),
            ("{untagged: true}", "{within: 3d}"),
            ("any", "{newest: 100}"),
        ],
    ),
    (
        "every tag newest 500, any 14d",
        &[("{tags: ['*']}", "{newest: 500}"), ("any", "{within: 14d}")],
    ),
    (
        "untagged none, any 180d",
        &[("{untagged: true}", "none"), ("any", "{within: 180d}")],
    ),
    (
        "pr 14d, main newest 10, untagged 7d, any newest 30",
        &[
            ("{tags: ['pr-*']}", "{within: 14d}"),
            ("{tags: ['main-*']}", "{newest: 10}"),
            ("{untagged: true}", "{within: 7d}"),
            ("any", "{newest: 30}"),
        ],
    ),
    (
        "v* all, untagged 14d, any 90d",
        &[
            ("{tags: ['v*']}", "all"),
            ("{untagged: true}", "{within: 14d}"),
            ("any", "{within: 90d}"),
        ],
    ),
];

const MATCHES: &[&str] = &[
    "any",
    "{untagged: true}",
    "{untagged: false}",
    "{tags: ['*']}",
    "{tags: ['v*']}",
    "{tags: ['dev-*', 'staging-*']}",
    "{tags_all: ['prod*']}",
    "{tags: ['main-*']}",
    "{tag_regex: 'v[0-9]+'}",
    "{untagged: true, where: \"imageSizeInBytes > `500`\"}",
];
const KEEPS: &[&str] = &[
    "all",
    "none",
    "{newest: 5}",
    "{newest: 30}",
    "{within: 7d}",
    "{within: 30d}",
    "{within: 36h}",
    "{newest: 10, within: 14d}",
];
const TAGS: &[&str] = &[
    "v1.2.0",
    "v2.0.1",
    "prod",
    "prod-eu",
    "latest",
    "dev-17",
    "staging-3",
    "main-1a2b3c4",
    "pr-41",
    "nightly",
];

/// A small deterministic generator, so every run measures the same inputs.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn now() -> Timestamp {
    Timestamp::from_second(1_800_000_000).expect("a valid time")
}

fn policy(rules: &[(&str, &str)]) -> Option<Policy> {
    let mut text = String::from("version: 1\nrules:\n");
    for (i, (m, k)) in rules.iter().enumerate() {
        text.push_str(&format!("  - name: r{i}\n    match: {m}\n    keep: {k}\n"));
    }
    ecr_lifecycle_compiler::parse(&SourceFile::new("p.yaml", text)).ok()
}

/// A repository of `n` images pushed over 400 days, a third untagged.
fn repository(rng: &mut Lcg, n: usize) -> Vec<Image> {
    (0..n)
        .map(|i| {
            let mut bytes = [0u8; 32];
            bytes[24..].copy_from_slice(&(rng.next() ^ i as u64).to_be_bytes());
            let tags: Vec<&str> = if rng.below(3) == 0 {
                Vec::new()
            } else {
                let mut t = vec![TAGS[rng.below(TAGS.len())]];
                if rng.below(4) == 0 {
                    t.push(TAGS[rng.below(TAGS.len())]);
                }
                t.sort_unstable();
                t.dedup();
                t
            };
            let age = SignedDuration::from_secs((rng.below(400 * 24) as i64) * 3600 + 1800);
            let mut image = Image::new(Digest::from_bytes(bytes), &tags, now() - age);
            image.size_bytes = Some(rng.below(1000) as u64);
            image
        })
        .collect()
}

/// Images the policy expires, and how many of them ECR's native policy expires.
fn share(policy: &Policy, repositories: &[Vec<Image>]) -> (usize, usize) {
    let compiled = split::compile(policy);
    let (mut expired, mut by_ecr) = (0, 0);
    for images in repositories {
        let reference = reference::evaluate(policy, images, None, now()).expired(images);
        let ecr = compiled
            .native
            .as_ref()
            .map(|n| native::simulate(n, images, now()).expired)
            .unwrap_or_default();
        expired += reference.len();
        by_ecr += reference.intersection(&ecr).count();
    }
    (expired, by_ecr)
}

fn row(name: &str, (expired, by_ecr): (usize, usize)) {
    let pct = if expired == 0 {
        0.0
    } else {
        100.0 * by_ecr as f64 / expired as f64
    };
    println!("| {name} | {expired} | {by_ecr} | {pct:.1} % |");
}

fn main() {
    let mut rng = Lcg(0x5eed);
    let repositories: Vec<Vec<Image>> = (0..20).map(|_| repository(&mut rng, 300)).collect();
    println!("| policy | images expired | by ECR natively | native share |");
    println!("|---|---|---|---|");
    let mut total = (0, 0);
    for (name, rules) in EVERYDAY {
        let p = policy(rules).expect("an everyday policy is valid");
        let s = share(&p, &repositories);
        row(name, s);
        total = (total.0 + s.0, total.1 + s.1);
    }
    row("**the 10 everyday policies**", total);

    let mut random = (0, 0);
    let mut count = 0;
    while count < 1000 {
        let n = 1 + rng.below(5);
        let rules: Vec<(&str, &str)> = (0..n)
            .map(|_| {
                (
                    MATCHES[rng.below(MATCHES.len())],
                    KEEPS[rng.below(KEEPS.len())],
                )
            })
            .collect();
        let Some(p) = policy(&rules) else { continue };
        let s = share(&p, &repositories[..3]);
        random = (random.0 + s.0, random.1 + s.1);
        count += 1;
    }
    row("**1,000 random policies** (1 to 5 rules)", random);
}
