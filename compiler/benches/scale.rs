//! Scale benchmark: prints figures, asserts nothing about time.
//!
//! - evaluate a DSL policy over 1,000,000 images (1,000 repositories × 1,000 images), parsed
//!   from describe-images JSON; reports parse and evaluation time and the memory held per image;
//! - compile a 1,000-rule policy (parse, check, split).
//!
//! Targets on a 2-core machine: evaluation under 1 s, under 400 bytes per image, compile under
//! 50 ms. Run with `cargo bench -p ecr-lifecycle-compiler --bench scale` (`-- --images N` to
//! change the image count).

#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops at the first surprise"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::Instant;

use ecr_lifecycle_compiler::image::parse_images_json;
use ecr_lifecycle_compiler::reference;
use ecr_lifecycle_compiler::source::SourceFile;
use ecr_lifecycle_compiler::split;
use jiff::Timestamp;

/// Counts live heap bytes, to measure what the images cost once loaded.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
/// Counting is switched on only while images load, so the timed parts share no counter.
static COUNTING: AtomicBool = AtomicBool::new(false);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        }
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const POLICY: &str = r#"
version: 1
rules:
  - name: production
    match: { tags: [prod, "prod-*", latest] }
    keep: all
  - name: releases
    match: { tag_regex: 'v[0-9]+\.[0-9]+\.[0-9]+' }
    keep: { newest: 20 }
  - name: huge-untagged
    match: { untagged: true, where: "imageSizeInBytes > `900000000`" }
    keep: none
  - name: window
    match: any
    keep:
      within: 90d
      anchor: { oldest_tagged: [dev, rc] }
      at_least: 13
"#;

/// Deterministic pseudo-random numbers (xorshift), so every run measures the same input.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn images_json(repos: usize, per_repo: usize) -> String {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let base: i64 = 1_700_000_000;
    let mut s = String::with_capacity(repos * per_repo * 330);
    s.push_str("{\"imageDetails\":[");
    let mut first = true;
    for r in 0..repos {
        for i in 0..per_repo {
            if !first {
                s.push(',');
            }
            first = false;
            let n = rng.next();
            let tags = match n % 10 {
                0..=3 => String::new(),
                4 => format!("\"v{}.{}.{}\"", n % 7, n % 13, i),
                5 => "\"dev\"".into(),
                6 => format!("\"prod-{i}\""),
                7 => "\"rc\"".into(),
                _ => format!("\"feature-{}\",\"sha-{:x}\"", n % 97, n & 0xffff_ffff),
            };
            let pushed = base + (n % (2 * 365 * 86_400)) as i64;
            s.push_str(&format!(
                "{{\"registryId\":\"123456789012\",\"repositoryName\":\"team/service-{r}\",\"imageDigest\":\"sha256:{:016x}{:016x}{:016x}{:016x}\",\"imageTags\":[{tags}],\"imageSizeInBytes\":{},\"imagePushedAt\":{pushed}.{:03},\"imageManifestMediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"artifactMediaType\":\"application/vnd.oci.image.config.v1+json\"}}",
                rng.next(), rng.next(), rng.next(), r * per_repo + i,
                n % 1_000_000_000,
                n % 1000,
            ));
        }
    }
    s.push_str("]}");
    s
}

fn rules_yaml(n: usize) -> String {
    let mut s = String::from("version: 1\nrules:\n");
    s.push_str("  - name: untagged\n    match: { untagged: true }\n    keep: { within: 14d }\n");
    for i in 1..n {
        let (m, k) = match i % 5 {
            0 => (format!("{{ tags: [\"team{i}-*\"] }}"), "all".to_string()),
            1 => (
                format!("{{ tags: [\"svc{i}-*\", \"app{i}-*\"] }}"),
                format!("{{ within: {}d }}", i % 90 + 1),
            ),
            2 => (
                format!("{{ tag_regex: 'r{i}-[0-9]+' }}"),
                format!("{{ newest: {} }}", i % 30 + 1),
            ),
            3 => (
                format!("{{ tags_all: [\"x{i}-*\", \"stable\"] }}"),
                format!("{{ within: {}h }}", i % 500 + 1),
            ),
            _ => (
                format!("{{ tags: [\"b{i}-*\"] }}"),
                "{ newest: 5, within: 30d }".to_string(),
            ),
        };
        s.push_str(&format!(
            "  - name: rule-{i}\n    match: {m}\n    keep: {k}\n"
        ));
    }
    s
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let total: usize = args
        .iter()
        .position(|a| a == "--images")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let repos = 1000.min(total.max(1));
    let per_repo = total / repos;
    let now = Timestamp::from_second(1_700_000_000 + 2 * 365 * 86_400).unwrap();

    COUNTING.store(true, Ordering::Relaxed);
    let json = images_json(repos, per_repo);
    let base = LIVE.load(Ordering::Relaxed);
    let policy = ecr_lifecycle_compiler::parse(&SourceFile::new("bench.yaml", POLICY))
        .expect("bench policy parses");

    // The JSON text itself is freed before the images are counted: only what stays is held.
    COUNTING.store(true, Ordering::Relaxed);
    let t = Instant::now();
    let groups = parse_images_json(&json).expect("generated images parse");
    let parse = t.elapsed();
    COUNTING.store(false, Ordering::Relaxed);
    let held = LIVE.load(Ordering::Relaxed) - base;
    let images: usize = groups.iter().map(|g| g.images.len()).sum();
    drop(json);

    let t = Instant::now();
    let mut expired = 0usize;
    for g in &groups {
        let e = reference::evaluate(&policy, &g.images, g.repository.as_deref(), now);
        expired += e.decisions.iter().filter(|d| d.expires()).count();
    }
    let eval_one = t.elapsed();

    // Repositories are independent: the runner evaluates them on every core.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let t = Instant::now();
    let expired_parallel: usize = std::thread::scope(|scope| {
        let chunk = groups.len().div_ceil(threads).max(1);
        let handles: Vec<_> = groups
            .chunks(chunk)
            .map(|part| {
                let policy = &policy;
                scope.spawn(move || {
                    part.iter()
                        .map(|g| {
                            let e = reference::evaluate(
                                policy,
                                &g.images,
                                g.repository.as_deref(),
                                now,
                            );
                            e.decisions.iter().filter(|d| d.expires()).count()
                        })
                        .sum::<usize>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    let eval = t.elapsed();
    assert_eq!(expired, expired_parallel, "parallel evaluation must agree");

    let text = rules_yaml(1000);
    let t = Instant::now();
    let big = ecr_lifecycle_compiler::parse(&SourceFile::new("rules.yaml", text))
        .expect("1,000 rules parse");
    let parsed = t.elapsed();
    let compiled = split::compile(&big);
    let compile = t.elapsed();

    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!("| images | {images} in {} repositories | |", groups.len());
    println!(
        "| parse describe-images JSON | {:.0} ms | |",
        parse.as_secs_f64() * 1e3
    );
    println!(
        "| evaluate policy (4 rules: claim, regex, JMESPath, anchored window), 1 thread | {:.0} ms | |",
        eval_one.as_secs_f64() * 1e3
    );
    println!(
        "| evaluate policy, repositories across {threads} threads | {:.0} ms | < 1000 ms |",
        eval.as_secs_f64() * 1e3
    );
    println!("| images expired | {expired} | |");
    println!(
        "| memory held per image | {:.0} B | < 400 B |",
        held as f64 / images.max(1) as f64
    );
    println!(
        "| parse + check 1,000-rule policy | {:.1} ms | |",
        parsed.as_secs_f64() * 1e3
    );
    println!(
        "| parse + check + compile 1,000-rule policy | {:.1} ms | < 50 ms |",
        compile.as_secs_f64() * 1e3
    );
    println!("| native rules emitted | {} | |", compiled.specs.len());
}
