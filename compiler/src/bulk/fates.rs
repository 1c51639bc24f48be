//! The fate of every compact record under a policy whose rules need only tags, push and pull
//! times: first-match governance through the DSL's own matchers, then `keep` as
//! [`crate::reference`] decides it (an image is kept when any alternative keeps it). Active
//! images with no index children and no subjects leave the safety closure nothing to do.

use jiff::Timestamp;

use super::read::Decline;
use super::{Record, Repository};
use crate::dsl::Policy;
use crate::dsl::policy::{Evaluation, Keep, Otherwise};
use crate::image::Digest;
use crate::reference::Fate;

/// Whether [`fates`] decides this policy exactly as the reference does.
pub fn supports(policy: &Policy) -> bool {
    policy.evaluation == Evaluation::FirstMatch
        && policy.rules.len() < usize::from(NONE)
        && policy.rules.iter().all(|r| {
            r.matcher.where_filter().is_none()
                && matches!(r.otherwise, Otherwise::Expire | Otherwise::Archive)
                && match &*r.keep {
                    Keep::All | Keep::None => true,
                    Keep::Retain(k) => k.newest.as_ref().is_none_or(|n| n.by_push_time_alone()),
                }
        })
}

/// Repositories this large are decided on two threads.
const PARALLEL_FROM: usize = 50_000;

/// No rule governs the record.
const NONE: u16 = u16::MAX;

/// The fate of each record of a repository, in its order.
pub struct Fates(pub Vec<Fate>);

impl Fates {
    /// The digests of the records with this fate.
    pub fn digests<'a>(
        &'a self,
        repository: &'a Repository,
        fate: Fate,
    ) -> impl Iterator<Item = Digest> + 'a {
        repository
            .records
            .iter()
            .zip(&self.0)
            .filter(move |(_, f)| **f == fate)
            .map(|(r, _)| r.digest)
    }
}

/// Per rule, what the pass in recency order keeps count of.
#[derive(Default, Clone)]
struct Tally {
    /// Governed images seen so far (the rank of `newest`).
    seen: usize,
    /// The anchor: the oldest push among the governed images an anchor tag marks.
    anchor: Option<i64>,
    /// Governed images seen so far pushed before the anchor (the rank of `at_least`).
    before: usize,
}

const NANOS: i128 = 1_000_000_000;

/// Whole seconds from `then` to `now`, rounded toward the past (as the reference counts age).
fn age_seconds(now: i128, then: i64) -> i128 {
    (now - i128::from(then)).div_euclid(NANOS)
}

/// The fate of each record under `policy` at `now`; declines a policy [`supports`] refuses
/// and a digest listed twice (the general path says which).
pub fn fates(policy: &Policy, repository: &Repository, now: Timestamp) -> Result<Fates, Decline> {
    if !supports(policy) {
        return Err(Decline("a policy the fast path does not decide"));
    }
    let records = &repository.records;
    if u32::try_from(records.len()).is_err() {
        return Err(Decline("over 4 billion images in one repository"));
    }
    // Where it pays, the check for a digest listed twice (a sort of its own) runs on another
    // core beside governance and the recency sort.
    let (governed, mut tally, order) = if records.len() < PARALLEL_FROM {
        check_distinct(records)?;
        govern_and_order(policy, repository)
    } else {
        let (distinct, decided) = std::thread::scope(|scope| {
            let distinct = scope.spawn(|| check_distinct(records));
            let decided = govern_and_order(policy, repository);
            (distinct.join(), decided)
        });
        distinct.map_err(|_| Decline("the check for repeated digests failed"))??;
        decided
    };
    let now = now.as_nanosecond();

    let mut out = vec![Fate::Keep; records.len()];
    for &(_, i) in &order {
        let i = i as usize;
        let r = governed[i];
        if r == NONE {
            continue;
        }
        let rule = &policy.rules[usize::from(r)];
        // `supports` admits these two only.
        let otherwise = if rule.otherwise == Otherwise::Archive {
            Fate::Archive
        } else {
            Fate::Expire
        };
        let record = &records[i];
        let t = &mut tally[usize::from(r)];
        let keep = match &*rule.keep {
            Keep::All => true,
            Keep::None => false,
            Keep::Retain(k) => {
                let rank = t.seen;
                t.seen += 1;
                let newest = k
                    .newest
                    .as_ref()
                    .is_some_and(|n| rank < n.count.value as usize);
                let within = k
                    .within
                    .is_some_and(|d| age_seconds(now, record.pushed) < i128::from(d.seconds()));
                let pulled = k.pulled_within.is_some_and(|d| {
                    age_seconds(now, record.pulled_or_pushed) < i128::from(d.seconds())
                });
                let anchored = k.anchored.as_ref().is_some_and(|a| match t.anchor {
                    // No governed image carries an anchor tag: everything is kept.
                    None => true,
                    Some(anchor) => {
                        let start =
                            i128::from(anchor) - i128::from(a.window.value.seconds()) * NANOS;
                        let before = record.pushed < anchor;
                        let among = before && t.before < a.at_least as usize;
                        if before {
                            t.before += 1;
                        }
                        i128::from(record.pushed) >= start || among
                    }
                });
                newest || within || pulled || anchored
            }
        };
        out[i] = if keep { Fate::Keep } else { otherwise };
    }
    Ok(Fates(out))
}

/// Per record the rule that governs it (first match of its tags), per rule the anchor, and
/// the records newest first, ties by digest ascending (the order every count uses).
fn govern_and_order(
    policy: &Policy,
    repository: &Repository,
) -> (Vec<u16>, Vec<Tally>, Vec<(i64, u32)>) {
    let records = &repository.records;
    // Governance: the first rule whose tag conditions hold.
    let mut tally = vec![Tally::default(); policy.rules.len()];
    let mut tags: Vec<&str> = Vec::with_capacity(8);
    let governed: Vec<u16> = records
        .iter()
        .map(|record| {
            repository.tags_into(record, &mut tags);
            let Some(r) = policy
                .rules
                .iter()
                .position(|rule| rule.matcher.matches_tag_names(&tags))
            else {
                return NONE;
            };
            if let Keep::Retain(k) = &*policy.rules[r].keep
                && let Some(a) = &k.anchored
                && a.is_anchor_by_tags(&tags)
            {
                let anchor = &mut tally[r].anchor;
                *anchor = Some(anchor.map_or(record.pushed, |t| t.min(record.pushed)));
            }
            // Below u16::MAX: `supports` bounds the number of rules.
            u16::try_from(r).unwrap_or(NONE)
        })
        .collect();

    // Newest first, ties by digest ascending: the order every count uses.
    let mut order: Vec<(i64, u32)> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.pushed, u32::try_from(i).unwrap_or(u32::MAX)))
        .collect();
    order.sort_unstable_by(|a, b| {
        b.0.cmp(&a.0).then_with(|| {
            records[a.1 as usize]
                .digest
                .cmp(&records[b.1 as usize].digest)
        })
    });

    (governed, tally, order)
}

/// The general path refuses a digest listed twice in a repository; the fast one leaves it to
/// say so.
fn check_distinct(records: &[Record]) -> Result<(), Decline> {
    let prefix = |d: &Digest| {
        let b = d.as_bytes();
        u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
    };
    let mut keys: Vec<(u64, u32)> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (prefix(&r.digest), u32::try_from(i).unwrap_or(u32::MAX)))
        .collect();
    keys.sort_unstable();
    // Equal digests share their prefix: compare within each run of one prefix.
    for run in keys.chunk_by(|a, b| a.0 == b.0) {
        for (n, a) in run.iter().enumerate() {
            if run[n + 1..]
                .iter()
                .any(|b| records[a.1 as usize].digest == records[b.1 as usize].digest)
            {
                return Err(Decline("a digest listed twice"));
            }
        }
    }
    Ok(())
}
