//! Globs over image tags and repository names: `*` matches any run of characters
//! (including `/`), `?` matches one character, everything else matches itself.
//!
//! Besides matching, globs answer two questions the compiler asks: can ECR express this
//! glob (ECR patterns know only `*`, at most four of them), and can two sets of globs select
//! the same name (to find repositories claimed by two policy files).

use crate::limits::MAX_WILDCARDS;
use std::collections::{HashSet, VecDeque};
use std::fmt;

use wildmatch::WildMatch;

/// Characters that say "regular expression" where a glob is expected.
const REGEX_SYNTAX: &[char] = &['[', ']', '(', ')', '{', '}', '|', '^', '$', '\\', '+'];

/// What a glob is matched against; decides which characters can ever occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobKind {
    /// Image tags: letters, digits, `_`, `.` and `-`, at most 128 characters.
    Tag,
    /// Repository names: lower-case letters, digits, `_`, `.`, `-` and `/`.
    Repository,
}

impl GlobKind {
    fn allows(self, c: char) -> bool {
        match self {
            GlobKind::Tag => c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'),
            GlobKind::Repository => {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-' | '/')
            }
        }
    }

    fn what(self) -> &'static str {
        match self {
            GlobKind::Tag => "an image tag",
            GlobKind::Repository => "a repository name",
        }
    }

    fn charset(self) -> &'static str {
        match self {
            GlobKind::Tag => "tags use letters, digits, `_`, `.` and `-`",
            GlobKind::Repository => {
                "repository names use lower-case letters, digits, `_`, `.`, `-` and `/`"
            }
        }
    }
}

/// A checked glob.
#[derive(Clone)]
pub struct Glob {
    text: Box<str>,
    matcher: WildMatch,
}

impl Glob {
    pub fn parse(text: &str, kind: GlobKind) -> Result<Glob, GlobError> {
        if text.is_empty() {
            return Err(GlobError {
                message: format!("an empty glob matches no {}", kind.what()),
                help: "write `*` to match every name".into(),
            });
        }
        if let Some(c) = text
            .chars()
            .find(|&c| c != '*' && c != '?' && !kind.allows(c))
        {
            // A tag condition that reads like a regular expression has one: `tag_regex`.
            let regex = if kind == GlobKind::Tag && REGEX_SYNTAX.contains(&c) {
                "; for a regular expression, write `tag_regex` in `match`"
            } else {
                ""
            };
            return Err(GlobError {
                message: format!(
                    "`{text}` can never match {}: `{c}` never occurs",
                    kind.what()
                ),
                help: format!(
                    "{}; globs know only `*` (any run) and `?` (one character){regex}",
                    kind.charset()
                ),
            });
        }
        Ok(Glob {
            text: text.into(),
            matcher: WildMatch::new(text),
        })
    }

    /// An ECR tag pattern as written in an `evaluation: ecr` file: ECR, not this glob, reads
    /// it (`*` is its only wildcard, and a character no tag has simply never matches), so any
    /// text the native policy may hold is one.
    pub fn verbatim(text: &str) -> Glob {
        Glob {
            text: text.into(),
            matcher: WildMatch::new(text),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn matches(&self, name: &str) -> bool {
        self.matcher.matches(name)
    }

    /// Why ECR cannot use this glob as a tag pattern, if it cannot.
    pub fn ecr_inexpressible(&self) -> Option<String> {
        if self.text.contains('?') {
            return Some(format!("`{}` uses `?`, which ECR patterns lack", self.text));
        }
        let stars = self.text.matches('*').count();
        (stars > MAX_WILDCARDS).then(|| {
            format!(
                "`{}` has {stars} `*`, and ECR allows at most {MAX_WILDCARDS}",
                self.text
            )
        })
    }

    /// A tag glob that reads like a regular expression: `.` then `*` or `?` at the start or
    /// after a letter, `_` or `-` (`v.*`, `release-.*`), where `.` only matches itself. A `.`
    /// after a digit or a wildcard (`v1.*`, `v*.*.*`) reads as a version's dot and passes.
    /// Returns the glob that says "any run" (`v*`) for the help.
    pub fn regex_lookalike(&self) -> Option<String> {
        let chars: Vec<char> = self.text.chars().collect();
        let lookalike = chars.windows(2).enumerate().any(|(i, w)| {
            w[0] == '.'
                && matches!(w[1], '*' | '?')
                && (i == 0
                    || chars[i - 1].is_ascii_alphabetic()
                    || matches!(chars[i - 1], '_' | '-'))
        });
        lookalike.then(|| self.text.replace(".*", "*").replace(".?", "?"))
    }

    /// The glob with runs of `*` folded, which matches the same names.
    fn pattern(&self) -> Vec<Tok> {
        let mut out = Vec::new();
        for c in self.text.chars() {
            let t = match c {
                '*' => Tok::Star,
                '?' => Tok::One,
                c => Tok::Lit(c),
            };
            if !(t == Tok::Star && out.last() == Some(&Tok::Star)) {
                out.push(t);
            }
        }
        out
    }
}

impl PartialEq for Glob {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Glob {}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text)
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobError {
    pub message: String,
    pub help: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Star,
    One,
    Lit(char),
}

/// The positions a glob's matcher can be in, as a sorted set (a state of its subset automaton).
type States = Vec<u16>;

fn closure(pat: &[Tok], mut states: States) -> States {
    // A `*` may match nothing: stand after it too.
    let mut i = 0;
    while i < states.len() {
        let s = states[i] as usize;
        if pat.get(s) == Some(&Tok::Star) && !states.contains(&(s as u16 + 1)) {
            states.push(s as u16 + 1);
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
        match pat.get(s as usize) {
            Some(Tok::Star) => next.push(s),
            Some(Tok::One) => next.push(s + 1),
            Some(Tok::Lit(l)) if *l == c => next.push(s + 1),
            _ => {}
        }
    }
    closure(pat, next)
}

fn accepts(pat: &[Tok], states: &States) -> bool {
    states.contains(&(pat.len() as u16))
}

/// The shortest name both `a` and `b` match and none of `excluded` matches, if any exists
/// (searched over the subset automata of all globs at once, within a bound on states).
pub fn common_name(a: &Glob, b: &Glob, excluded: &[&Glob]) -> Option<String> {
    let pats: Vec<Vec<Tok>> = [a, b]
        .into_iter()
        .chain(excluded.iter().copied())
        .map(Glob::pattern)
        .collect();
    if pats.iter().any(|p| p.len() >= u16::MAX as usize) {
        return None;
    }
    // Every literal of every glob, plus one character none of them names, stands for the rest.
    let mut alphabet: Vec<char> = pats
        .iter()
        .flatten()
        .filter_map(|t| match t {
            Tok::Lit(c) => Some(*c),
            _ => None,
        })
        .collect();
    alphabet.sort_unstable();
    alphabet.dedup();
    if let Some(fresh) = "abcdefghijklmnopqrstuvwxyz0123456789"
        .chars()
        .find(|c| !alphabet.contains(c))
    {
        alphabet.push(fresh);
    }
    let start: Vec<States> = pats.iter().map(|p| closure(p, vec![0])).collect();
    let done = |st: &[States]| {
        accepts(&pats[0], &st[0])
            && accepts(&pats[1], &st[1])
            && (2..pats.len()).all(|i| !accepts(&pats[i], &st[i]))
    };
    let mut seen: HashSet<Vec<States>> = HashSet::new();
    let mut queue: VecDeque<(Vec<States>, String)> = VecDeque::new();
    seen.insert(start.clone());
    queue.push_back((start, String::new()));
    const MAX_STATES: usize = 200_000;
    while let Some((st, name)) = queue.pop_front() {
        if done(&st) {
            return Some(name);
        }
        for &c in &alphabet {
            let next: Vec<States> = pats.iter().zip(&st).map(|(p, s)| step(p, s, c)).collect();
            // Both includes must stay alive; a dead exclude simply stops excluding.
            if next[0].is_empty() || next[1].is_empty() || seen.contains(&next) {
                continue;
            }
            if seen.len() >= MAX_STATES {
                return None;
            }
            seen.insert(next.clone());
            let mut n = name.clone();
            n.push(c);
            queue.push_back((next, n));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> Glob {
        Glob::parse(s, GlobKind::Repository).unwrap()
    }

    #[test]
    fn matches_with_star_crossing_slashes() {
        assert!(g("team/*").matches("team/web/api"));
        assert!(g("web-?").matches("web-1"));
        assert!(!g("web-?").matches("web-10"));
        let t = Glob::parse("release-[0-9]", GlobKind::Tag);
        assert!(t.is_err(), "`[` never occurs in a tag");
    }

    #[test]
    fn a_tag_glob_that_reads_like_a_regex_says_so() {
        let refused = |s| Glob::parse(s, GlobKind::Tag).unwrap_err().help;
        for text in [
            "v[0-9]*",
            "prod[0-9]",
            "(dev|prod)-*",
            "v\\d+",
            "^v1",
            "v{1,2}",
        ] {
            assert!(
                refused(text).ends_with("for a regular expression, write `tag_regex` in `match`"),
                "{text}: {}",
                refused(text)
            );
        }
        assert!(!refused("team:web").contains("tag_regex"));
        let repo = Glob::parse("web[0-9]", GlobKind::Repository)
            .unwrap_err()
            .help;
        assert!(!repo.contains("tag_regex"), "{repo}");

        let t = |s| Glob::parse(s, GlobKind::Tag).unwrap().regex_lookalike();
        assert_eq!(t("v.*").as_deref(), Some("v*"));
        assert_eq!(t("release-.*").as_deref(), Some("release-*"));
        assert_eq!(t(".*-rc").as_deref(), Some("*-rc"));
        assert_eq!(t("build_.?").as_deref(), Some("build_?"));
        for glob in ["v*.*.*", "v1.*", "v2.*", "1.2.?", "v*", "*.*", "sha-*"] {
            assert_eq!(t(glob), None, "{glob}");
        }
    }

    #[test]
    fn knows_what_ecr_can_express() {
        let t = |s| Glob::parse(s, GlobKind::Tag).unwrap();
        assert!(t("v*.*.*").ecr_inexpressible().is_none());
        assert!(t("*a*b*c*").ecr_inexpressible().is_none());
        assert!(t("*a*b*c*d*").ecr_inexpressible().is_some());
        assert!(t("v?").ecr_inexpressible().is_some());
    }

    #[test]
    fn finds_a_shared_name_or_proves_there_is_none() {
        assert_eq!(
            common_name(&g("web-*"), &g("*-api"), &[]).as_deref(),
            Some("web-api")
        );
        assert_eq!(common_name(&g("web-*"), &g("api-*"), &[]), None);
        assert_eq!(
            common_name(&g("web-*"), &g("web-api"), &[&g("web-api")]),
            None
        );
        let w = common_name(&g("web-*"), &g("*"), &[&g("web-legacy")]).unwrap();
        assert!(g("web-*").matches(&w) && w != "web-legacy", "{w}");
        assert_eq!(
            common_name(&g("a?c"), &g("*b*"), &[]).as_deref(),
            Some("abc")
        );
    }
}
