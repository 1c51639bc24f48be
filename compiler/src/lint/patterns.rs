//! Tag patterns as ECR reads them, and the two questions lint asks of them.
//!
//! In a native policy `*` is the only wildcard and a pattern matches a whole tag; a prefix is
//! a pattern whose text is literal and ends in `*`. Lint asks whether every tag one pattern
//! matches is matched by another (to prove a rule shadowed), and for a tag that some patterns
//! match and others do not (to build example images). Both are answered on the patterns'
//! automata, where one character that no pattern names stands for all such characters.

use std::collections::{BTreeSet, HashSet, VecDeque};

/// Longest image tag ECR accepts.
const MAX_TAG_LEN: usize = 128;
/// Bound on the automaton states a search visits; past it the answer is "unknown".
const MAX_STATES: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Star,
    Lit(char),
}

/// One entry of a `tagPatternList` or `tagPrefixList`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pat {
    toks: Vec<Tok>,
    /// As ECR reads it, for matching (which the simulator does, one way for both).
    ecr: Entry,
}

/// A list entry as written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Pattern(String),
    Prefix(String),
}

impl Pat {
    /// A `tagPatternList` entry: `*` matches any run of characters, nothing else is special.
    pub(crate) fn pattern(text: &str) -> Pat {
        let mut toks = Vec::new();
        for c in text.chars() {
            let t = if c == '*' { Tok::Star } else { Tok::Lit(c) };
            // Runs of `*` match the same tags as one.
            if !(t == Tok::Star && toks.last() == Some(&Tok::Star)) {
                toks.push(t);
            }
        }
        Pat {
            toks,
            ecr: Entry::Pattern(text.to_string()),
        }
    }

    /// A `tagPrefixList` entry: every character is literal, and anything may follow.
    pub(crate) fn prefix(text: &str) -> Pat {
        let mut toks: Vec<Tok> = text.chars().map(Tok::Lit).collect();
        toks.push(Tok::Star);
        Pat {
            toks,
            ecr: Entry::Prefix(text.to_string()),
        }
    }

    /// Matches every tag (`*`, `**`, or the empty prefix).
    pub(crate) fn is_universal(&self) -> bool {
        self.toks.iter().all(|t| *t == Tok::Star) && !self.toks.is_empty()
    }

    /// Whether ECR's filter entry matches the tag: the simulator's own matching.
    pub(crate) fn matches(&self, tag: &str) -> bool {
        match &self.ecr {
            Entry::Pattern(p) => crate::native::simulate::pattern_matches(p, tag),
            Entry::Prefix(p) => tag.starts_with(p.as_str()),
        }
    }

    /// The tag with every `*` replaced by `fill`.
    fn instantiate(&self, fill: &str) -> String {
        self.toks
            .iter()
            .map(|t| match t {
                Tok::Star => fill.to_string(),
                Tok::Lit(c) => c.to_string(),
            })
            .collect()
    }

    fn literals(&self) -> impl Iterator<Item = char> + '_ {
        self.toks.iter().filter_map(|t| match t {
            Tok::Lit(c) => Some(*c),
            Tok::Star => None,
        })
    }
}

/// Whether every tag `inner` matches is also matched by `outer`. `false` when it is not so,
/// and also when the search gives up: callers only act on a proof.
pub(crate) fn subsumes(outer: &Pat, inner: &Pat) -> bool {
    if outer.is_universal() {
        return true;
    }
    // A counterexample over all strings; none at all proves it for tags too.
    let alphabet = alphabet([inner, outer], |_| true);
    matches!(
        search(&[inner], &[outer], &alphabet, |_| true),
        Search::Exhausted
    )
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
    let plain = [Pat::pattern("build-*"), Pat::pattern("*")];
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
    match search(include, exclude, &alphabet, is_word_char) {
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
    match search(include, &[], &alphabet, is_word_char) {
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

/// The characters a search tries: the patterns' literals (those `allowed`), then one
/// character no pattern names, which stands for every other character.
fn alphabet<'a>(pats: impl IntoIterator<Item = &'a Pat>, allowed: fn(char) -> bool) -> Vec<char> {
    let named: BTreeSet<char> = pats.into_iter().flat_map(Pat::literals).collect();
    let fresh = "xyzabcdefghijklmnopqrstuvw0123456789_ABCDEFGHIJKLMNOPQRSTUVWXYZ.-"
        .chars()
        .find(|c| !named.contains(c));
    // Searches try the stand-in first, so found tags read like `x` rather than `-`.
    fresh
        .into_iter()
        .chain(named.into_iter().filter(|&c| allowed(c)))
        .collect()
}

enum Search {
    Found(String),
    /// No string exists.
    Exhausted,
    /// Too many states to decide.
    GaveUp,
}

/// The shortest string every `include` pattern accepts and no `exclude` pattern accepts,
/// breadth first over the product of their automata. `first` restricts the first character.
fn search(
    include: &[&Pat],
    exclude: &[&Pat],
    alphabet: &[char],
    first: fn(char) -> bool,
) -> Search {
    let pats: Vec<&[Tok]> = include
        .iter()
        .chain(exclude)
        .map(|p| p.toks.as_slice())
        .collect();
    let n_in = include.len();
    let done = |st: &[States]| {
        let (inc, exc) = st.split_at(n_in);
        inc.iter().zip(&pats).all(|(s, p)| accepts(p, s))
            && exc.iter().zip(&pats[n_in..]).all(|(s, p)| !accepts(p, s))
    };
    let start: Vec<States> = pats.iter().map(|p| closure(p, vec![0])).collect();
    let mut seen: HashSet<Vec<States>> = HashSet::new();
    let mut queue: VecDeque<(Vec<States>, String)> = VecDeque::new();
    seen.insert(start.clone());
    queue.push_back((start, String::new()));
    while let Some((st, text)) = queue.pop_front() {
        if !text.is_empty() && done(&st) {
            return Search::Found(text);
        }
        for &c in alphabet {
            if text.is_empty() && !first(c) {
                continue;
            }
            let next: Vec<States> = pats.iter().zip(&st).map(|(p, s)| step(p, s, c)).collect();
            // An include that can no longer accept ends the path; a dead exclude just stops
            // excluding.
            if next[..n_in].iter().any(Vec::is_empty) || seen.contains(&next) {
                continue;
            }
            if seen.len() >= MAX_STATES {
                return Search::GaveUp;
            }
            seen.insert(next.clone());
            let mut t = text.clone();
            t.push(c);
            queue.push_back((next, t));
        }
    }
    Search::Exhausted
}

/// The positions a pattern's matcher can be in, sorted.
type States = Vec<usize>;

fn closure(pat: &[Tok], mut states: States) -> States {
    // A `*` may match nothing: stand after it too.
    let mut i = 0;
    while i < states.len() {
        let s = states[i];
        if pat.get(s) == Some(&Tok::Star) && !states.contains(&(s + 1)) {
            states.push(s + 1);
        }
        i += 1;
    }
    states.sort_unstable();
    states.dedup();
    states
}

fn step(pat: &[Tok], states: &States, c: char) -> States {
    let mut next = Vec::new();
    for &s in states {
        match pat.get(s) {
            Some(Tok::Star) => next.push(s),
            Some(Tok::Lit(l)) if *l == c => next.push(s + 1),
            _ => {}
        }
    }
    closure(pat, next)
}

fn accepts(pat: &[Tok], states: &States) -> bool {
    states.contains(&pat.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::simulate::pattern_matches;

    fn p(s: &str) -> Pat {
        Pat::pattern(s)
    }

    #[test]
    fn the_automaton_agrees_with_the_simulator() {
        for (pat, tag) in [
            ("prod*", "prod"),
            ("prod*", "prod-1"),
            ("*-rc", "1-rc"),
            ("v*.*.*", "v1.2.3"),
            ("v*.*.*", "v1.2"),
            ("a*b", "ab"),
            ("v?", "v1"),
            ("v?", "v?"),
            ("**", ""),
        ] {
            // The automaton the searches walk accepts what the simulator matches.
            let toks = &p(pat).toks;
            let mut states = closure(toks, vec![0]);
            for c in tag.chars() {
                states = step(toks, &states, c);
            }
            assert_eq!(
                accepts(toks, &states),
                pattern_matches(pat, tag),
                "{pat} {tag}"
            );
            assert_eq!(p(pat).matches(tag), pattern_matches(pat, tag));
        }
        assert!(Pat::prefix("dev").matches("dev-1"));
        assert!(!Pat::prefix("d*").matches("dev"), "a prefix is literal");
        assert!(Pat::prefix("d*").matches("d*x"));
    }

    #[test]
    fn subsumption_is_proved_or_refused() {
        assert!(subsumes(&p("prod*"), &p("prod-*")));
        assert!(subsumes(&p("*"), &p("anything*")));
        assert!(subsumes(&p("*-rc*"), &p("v*-rc1")));
        assert!(subsumes(&Pat::prefix("v"), &p("v1.*")));
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
