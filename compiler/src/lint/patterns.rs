//! Tag patterns as ECR reads them, and the two questions lint asks of them.
//!
//! In a native policy `*` is the only wildcard and a pattern matches a whole tag; a prefix is
//! a pattern whose text is literal and ends in `*`. Lint asks whether every tag one pattern
//! matches is matched by another (to prove a rule shadowed), and for a tag that some patterns
//! match and others do not (to build example images). Both are answered on the patterns'
//! automata, where one character that no pattern names stands for all such characters.

use std::collections::BTreeSet;

use crate::glob::{Pattern, Search, fresh, includes, search};

/// Longest image tag ECR accepts.
const MAX_TAG_LEN: usize = 128;
/// Bound on the automaton states a search visits; past it the answer is "unknown".
const MAX_STATES: usize = 20_000;

/// One entry of a `tagPatternList` ([`Pattern::ecr`]) or `tagPrefixList` ([`Pattern::prefix`]),
/// on the automaton policy files' globs use too.
pub(crate) type Pat = Pattern;

/// Whether every tag `inner` matches is also matched by `outer`. `false` when it is not so,
/// and also when the search gives up: callers only act on a proof. The same inclusion
/// `validate` uses for a policy file's rules ([`crate::glob::Glob::included_in`]).
pub(crate) fn subsumes(outer: &Pat, inner: &Pat) -> bool {
    includes(outer, inner)
}

/// A valid image tag that every pattern of `include` matches and no pattern of `exclude`
/// matches, not in `taken` (a tag names one image). Natural tags come first (`prod*` gives
/// `prod1` for seed 1, `prod2` for seed 2); a search of the automata finds the rest.
pub(crate) fn find_tag(
    include: &[&Pat],
    exclude: &[&Pat],
    taken: &BTreeSet<String>,
    seed: usize,
) -> Option<String> {
    let fits = |tag: &str| {
        is_valid_tag(tag)
            && !taken.contains(tag)
            && include.iter().all(|p| p.matches(tag))
            && !exclude.iter().any(|p| p.matches(tag))
    };
    let fills = [format!("{seed}"), format!("x{seed}"), format!("{seed}x")];
    // Without a pattern to follow (none, or only `*`), a tag like people use.
    let plain = [Pat::ecr("build-*"), Pat::ecr("*")];
    let shapes: Vec<&Pat> = if include.iter().all(|p| p.is_universal()) {
        plain.iter().collect()
    } else {
        include.to_vec()
    };
    for shape in &shapes {
        for fill in &fills {
            let tag = shape.instantiate(fill);
            if fits(&tag) {
                return Some(tag);
            }
        }
    }
    let alphabet = alphabet(include.iter().chain(exclude).copied(), is_tag_char);
    let include = if include.is_empty() {
        &shapes[1..]
    } else {
        include
    };
    match search(include, exclude, &alphabet, is_word_char, MAX_STATES) {
        Search::Found(tag) if fits(&tag) => Some(tag),
        _ => None,
    }
}

/// Whether one valid tag can match every pattern; `Some(false)` only when that is proved.
pub(crate) fn single_tag_possible(include: &[&Pat]) -> Option<bool> {
    if find_tag(include, &[], &BTreeSet::new(), 1).is_some() {
        return Some(true);
    }
    let alphabet = alphabet(include.iter().copied(), is_tag_char);
    match search(include, &[], &alphabet, is_word_char, MAX_STATES) {
        Search::Exhausted => Some(false),
        _ => None,
    }
}

/// ECR's tag syntax: up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`.
pub(crate) fn is_valid_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    chars.next().is_some_and(is_word_char) && chars.all(is_tag_char) && tag.len() <= MAX_TAG_LEN
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_tag_char(c: char) -> bool {
    is_word_char(c) || c == '.' || c == '-'
}

/// The characters a search for a tag tries: one character no pattern names, which stands for
/// every other character, then the patterns' literals that may occur in a tag.
fn alphabet<'a>(pats: impl IntoIterator<Item = &'a Pat>, allowed: fn(char) -> bool) -> Vec<char> {
    let named: BTreeSet<char> = pats.into_iter().flat_map(Pat::literals).collect();
    let list: Vec<char> = named.iter().copied().collect();
    let stand_in = fresh(
        &list,
        "xyzabcdefghijklmnopqrstuvw0123456789_ABCDEFGHIJKLMNOPQRSTUVWXYZ.-",
    );
    // Searches try the stand-in first, so found tags read like `x` rather than `-`.
    std::iter::once(stand_in)
        .filter(|&c| allowed(c))
        .chain(named.into_iter().filter(|&c| allowed(c)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glob::Syntax;

    fn p(s: &str) -> Pat {
        Pat::ecr(s)
    }

    fn prefix(s: &str) -> Pat {
        Pat::new(Syntax::Prefix, s)
    }

    #[test]
    fn a_prefix_is_literal_and_open_ended() {
        assert!(prefix("dev").matches("dev-1"));
        assert!(!prefix("d*").matches("dev"), "a prefix is literal");
        assert!(prefix("d*").matches("d*x"));
    }

    #[test]
    fn subsumption_is_proved_or_refused() {
        assert!(subsumes(&p("prod*"), &p("prod-*")));
        assert!(subsumes(&p("*"), &p("anything*")));
        assert!(subsumes(&p("*-rc*"), &p("v*-rc1")));
        assert!(subsumes(&prefix("v"), &p("v1.*")));
        assert!(!subsumes(&p("prod-*"), &p("prod*")));
        assert!(!subsumes(&p("*-rc"), &p("*-rc*")));
        assert!(!subsumes(&p("v*.*"), &p("v*")));
        assert!(subsumes(&p("v*"), &p("v*.*")));
    }

    #[test]
    fn found_tags_are_natural_valid_and_distinct() {
        let none = BTreeSet::new();
        assert_eq!(
            find_tag(&[&p("prod*")], &[], &none, 1).as_deref(),
            Some("prod1")
        );
        assert_eq!(
            find_tag(&[&p("v*.*.*")], &[], &none, 2).as_deref(),
            Some("v2.2.2")
        );
        let taken = BTreeSet::from(["prod1".to_string()]);
        assert_eq!(
            find_tag(&[&p("prod*")], &[], &taken, 1).as_deref(),
            Some("prodx1")
        );
        assert_eq!(
            find_tag(&[&p("prod*"), &p("*-eu")], &[], &none, 1).as_deref(),
            Some("prod-eu")
        );
        let t = find_tag(&[], &[&p("prod*"), &p("v*")], &none, 1).unwrap();
        assert!(
            is_valid_tag(&t) && !t.starts_with("prod") && !t.starts_with('v'),
            "{t}"
        );
        assert_eq!(find_tag(&[&p("prod-*")], &[&p("prod*")], &none, 1), None);
        assert_eq!(
            find_tag(&[&p("a/b*")], &[], &none, 1),
            None,
            "`/` is no tag character"
        );
        let t = find_tag(&[&p("*")], &[&p("x*"), &p("1*")], &none, 1).unwrap();
        assert!(is_valid_tag(&t), "{t}");
    }
}
