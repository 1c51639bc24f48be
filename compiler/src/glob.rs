//! Globs over image tags and repository names: `*` matches any run of characters
//! (including `/`), `?` matches one character, everything else matches itself. ECR's
//! `tagPatternList` entries (only `*`) and `tagPrefixList` entries (all literal) are read by
//! the same code in their own [`Syntax`]: every wildcard match in the project is [`matches`].
//!
//! Besides matching, globs answer two questions the compiler asks: can ECR express this
//! glob (ECR patterns know only `*`, at most four of them), and can two sets of globs select
//! the same name (to find repositories claimed by two policy files).

use crate::limits::MAX_WILDCARDS;
use std::collections::{HashSet, VecDeque};
use std::fmt;

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

/// How the characters of a pattern's text are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syntax {
    /// A policy file's glob (and a file-name glob): `*` any run, `?` one character.
    Glob,
    /// A `tagPatternList` entry: `*` any run; nothing else is special.
    Ecr,
    /// A `tagPrefixList` entry: every character is literal, and anything may follow.
    Prefix,
}

/// Whether the pattern `text`, read in `syntax`, matches the whole of `name`.
pub fn matches(syntax: Syntax, text: &str, name: &str) -> bool {
    wildcard_match(&Text { syntax, text }, name)
}

/// A checked glob.
#[derive(Clone)]
pub struct Glob {
    text: Box<str>,
    syntax: Syntax,
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
            syntax: Syntax::Glob,
        })
    }

    /// An ECR tag pattern as written in an `evaluation: ecr` file: ECR, not this glob, reads
    /// it (`*` is its only wildcard, `?` is itself, and a character no tag has simply never
    /// matches), so any text the native policy may hold is one.
    pub fn verbatim(text: &str) -> Glob {
        Glob {
            text: text.into(),
            syntax: Syntax::Ecr,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn matches(&self, name: &str) -> bool {
        matches(self.syntax, &self.text, name)
    }

    /// Why ECR cannot use this glob as a tag pattern, if it cannot.
    pub fn ecr_inexpressible(&self) -> Option<Inexpressible> {
        if self.text.contains('?') {
            return Some(Inexpressible::QuestionMark);
        }
        let stars = self.text.matches('*').count();
        (stars > MAX_WILDCARDS).then_some(Inexpressible::TooManyWildcards {
            stars,
            max: MAX_WILDCARDS,
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

    /// Whether every name this glob matches is matched by `outer` too (`prod-eu-*` is included
    /// in `prod*`). `false` when it is not so, and also when the search gives up: callers only
    /// act on a proof.
    pub fn included_in(&self, outer: &Glob) -> bool {
        // Most pairs differ in the text before the first wildcard or after the last one: that
        // answers without building automata (see `includes`).
        let wild = ['*', '?'];
        let lead = |t: &str| t.split(wild).next().unwrap_or("").len();
        let trail = |t: &str| t.rsplit(wild).next().unwrap_or("").len();
        let (inner, outer_text) = (&*self.text, &*outer.text);
        if !(inner.starts_with(&outer_text[..lead(outer_text)])
            && inner.ends_with(&outer_text[outer_text.len() - trail(outer_text)..]))
        {
            return false;
        }
        includes(&outer.pattern(), &self.pattern())
    }

    /// The glob as the automaton reads it.
    pub(crate) fn pattern(&self) -> Pattern {
        Pattern::new(self.syntax, &self.text)
    }
}

impl PartialEq for Glob {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.syntax == other.syntax
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

/// Why ECR cannot use a glob as a tag pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inexpressible {
    /// It uses `?`, which ECR's patterns lack.
    QuestionMark,
    /// It has more `*` than ECR allows in one pattern.
    TooManyWildcards { stars: usize, max: usize },
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

/// A glob, or a pattern of a native policy, as its matcher reads it: runs of `*` folded into
/// one (they match the same names). The automaton below answers every question the compiler
/// asks of globs and patterns: whether one is included in another (a rule shadowed by an
/// earlier one, in a policy file or in a native policy), and which names some match and others
/// do not (repositories two files claim, the tags of lint's examples).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    toks: Vec<Tok>,
}

impl Pattern {
    /// The pattern `text` reads as in `syntax`.
    pub(crate) fn new(syntax: Syntax, text: &str) -> Pattern {
        let source = Text { syntax, text };
        let mut toks: Vec<Tok> = Vec::new();
        let mut at = 0;
        while let Some((t, next)) = source.token(at) {
            // Runs of `*` match the same names as one `*`.
            if !(t == Tok::Star && toks.last() == Some(&Tok::Star)) {
                toks.push(t);
            }
            at = next;
        }
        Pattern { toks }
    }

    /// A `tagPatternList` entry: `*` matches any run of characters, nothing else is special.
    pub(crate) fn ecr(text: &str) -> Pattern {
        Pattern::new(Syntax::Ecr, text)
    }

    /// Matches every name (`*`, `**`, or the empty prefix).
    pub(crate) fn is_universal(&self) -> bool {
        self.toks == [Tok::Star]
    }

    pub(crate) fn matches(&self, name: &str) -> bool {
        wildcard_match(self.toks.as_slice(), name)
    }

    /// The name with every `*` replaced by `fill` (and every `?` by its first character).
    pub(crate) fn instantiate(&self, fill: &str) -> String {
        self.toks
            .iter()
            .map(|t| match t {
                Tok::Star => fill.to_string(),
                Tok::One => fill.chars().take(1).collect(),
                Tok::Lit(c) => c.to_string(),
            })
            .collect()
    }

    /// The characters the pattern names.
    pub(crate) fn literals(&self) -> impl Iterator<Item = char> + '_ {
        self.toks.iter().filter_map(|t| match t {
            Tok::Lit(c) => Some(*c),
            _ => None,
        })
    }

    fn start(&self) -> States {
        closure(&self.toks, vec![0])
    }

    fn step(&self, states: &States, c: char) -> States {
        step(&self.toks, states, c)
    }

    fn accepts(&self, states: &States) -> bool {
        states.contains(&(self.toks.len() as u16))
    }
}

/// A pattern read one token at a time: the token at a position and the position after it.
trait Tokens {
    fn token(&self, at: usize) -> Option<(Tok, usize)>;
}

impl Tokens for [Tok] {
    fn token(&self, at: usize) -> Option<(Tok, usize)> {
        self.get(at).map(|&t| (t, at + 1))
    }
}

/// A pattern's text, read in place (positions are byte offsets; a prefix's implicit `*` sits
/// just past the end).
struct Text<'a> {
    syntax: Syntax,
    text: &'a str,
}

impl Tokens for Text<'_> {
    fn token(&self, at: usize) -> Option<(Tok, usize)> {
        let Some(c) = self.text.get(at..).and_then(|rest| rest.chars().next()) else {
            let star_after = self.syntax == Syntax::Prefix && at == self.text.len();
            return star_after.then_some((Tok::Star, at + 1));
        };
        let tok = match (self.syntax, c) {
            (Syntax::Glob | Syntax::Ecr, '*') => Tok::Star,
            (Syntax::Glob, '?') => Tok::One,
            (_, c) => Tok::Lit(c),
        };
        Some((tok, at + c.len_utf8()))
    }
}

/// Whether the pattern matches the whole of `name`: greedy, and on a mismatch the last `*`
/// takes one more character (linear in practice, at worst pattern length × name length).
fn wildcard_match<P: Tokens + ?Sized>(pattern: &P, name: &str) -> bool {
    let next_char = |at: usize| name.get(at..).and_then(|rest| rest.chars().next());
    let (mut p, mut n) = (0, 0);
    // Just past the last `*` seen, and where in the name its run ends so far.
    let mut star: Option<(usize, usize)> = None;
    loop {
        let token = pattern.token(p);
        if let Some((Tok::Star, after)) = token {
            star = Some((after, n));
            p = after;
            continue;
        }
        match (token, next_char(n)) {
            (None, None) => return true,
            (Some((Tok::One, after)), Some(c)) => {
                p = after;
                n += c.len_utf8();
                continue;
            }
            (Some((Tok::Lit(l), after)), Some(c)) if l == c => {
                p = after;
                n += c.len_utf8();
                continue;
            }
            _ => {}
        }
        // A mismatch: the last `*` swallows one more character, or nothing can match.
        let Some((after_star, run_end)) = star else {
            return false;
        };
        let Some(c) = next_char(run_end) else {
            return false;
        };
        star = Some((after_star, run_end + c.len_utf8()));
        p = after_star;
        n = run_end + c.len_utf8();
    }
}

/// The positions a pattern's matcher can be in, as a sorted set (a state of its subset
/// automaton).
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

/// What a [`search`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Search {
    Found(String),
    /// No such name exists.
    Exhausted,
    /// Too many states to decide.
    GaveUp,
}

/// The shortest non-empty name that every `include` pattern matches and no `exclude` pattern
/// matches, breadth first over the product of their automata, trying characters in the order
/// of `alphabet`. The alphabet must hold every character the patterns name and one they do not
/// (which stands for all such characters, so that an exhausted search is a proof over all
/// names); `first` restricts the first character. Past `max_states` the answer is `GaveUp`.
pub(crate) fn search(
    include: &[&Pattern],
    exclude: &[&Pattern],
    alphabet: &[char],
    first: fn(char) -> bool,
    max_states: usize,
) -> Search {
    let pats: Vec<&Pattern> = include.iter().chain(exclude).copied().collect();
    if pats.iter().any(|p| p.toks.len() >= u16::MAX as usize) {
        return Search::GaveUp;
    }
    let n_in = include.len();
    let done = |st: &[States]| {
        let (inc, exc) = st.split_at(n_in);
        inc.iter().zip(&pats).all(|(s, p)| p.accepts(s))
            && exc.iter().zip(&pats[n_in..]).all(|(s, p)| !p.accepts(s))
    };
    let start: Vec<States> = pats.iter().map(|p| p.start()).collect();
    // The states reached by non-empty names: the start state may be reached again by one,
    // and then it counts (`*` is in the same state before and after a character).
    let mut seen: HashSet<Vec<States>> = HashSet::new();
    let mut queue: VecDeque<(Vec<States>, String)> = VecDeque::new();
    queue.push_back((start, String::new()));
    while let Some((st, text)) = queue.pop_front() {
        if !text.is_empty() && done(&st) {
            return Search::Found(text);
        }
        for &c in alphabet {
            if text.is_empty() && !first(c) {
                continue;
            }
            let next: Vec<States> = pats.iter().zip(&st).map(|(p, s)| p.step(s, c)).collect();
            // An include that can no longer match ends the path; a dead exclude just stops
            // excluding.
            if next[..n_in].iter().any(Vec::is_empty) || seen.contains(&next) {
                continue;
            }
            if seen.len() >= max_states {
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

/// Bound on the states an inclusion search visits; past it nothing is proved.
const MAX_INCLUSION_STATES: usize = 20_000;

/// Whether every non-empty name `inner` matches is matched by `outer` too. `false` when it is
/// not so, and also when the search gives up: callers only act on a proof.
pub(crate) fn includes(outer: &Pattern, inner: &Pattern) -> bool {
    if outer.is_universal() {
        return true;
    }
    // Every name of `inner` starts with the literals `outer` starts with only if `inner`
    // starts with them too (past its own leading literals, a wildcard can put any character),
    // and the same at the end.
    let lead = |p: &Pattern| {
        p.toks
            .iter()
            .take_while(|t| matches!(t, Tok::Lit(_)))
            .count()
    };
    let trail = |p: &Pattern| {
        p.toks
            .iter()
            .rev()
            .take_while(|t| matches!(t, Tok::Lit(_)))
            .count()
    };
    let (lo, to) = (lead(outer), trail(outer));
    if !(inner.toks.len() >= lo
        && inner.toks[..lo] == outer.toks[..lo]
        && inner.toks.len() >= to
        && inner.toks[inner.toks.len() - to..] == outer.toks[outer.toks.len() - to..])
    {
        return false;
    }
    // A counterexample over all names; none at all proves it for tags and repositories too.
    let mut alphabet: Vec<char> = outer.literals().chain(inner.literals()).collect();
    alphabet.sort_unstable();
    alphabet.dedup();
    alphabet.push(fresh(&alphabet, "xyzabcdefghijklmnopqrstuvw0123456789"));
    matches!(
        search(
            &[inner],
            &[outer],
            &alphabet,
            |_| true,
            MAX_INCLUSION_STATES
        ),
        Search::Exhausted
    )
}

/// A character `named` does not hold, to stand for every character no pattern names: the first
/// of `candidates`, or when the patterns name them all, some other character (there always is
/// one, and without it a search would prove nothing).
pub(crate) fn fresh(named: &[char], candidates: &str) -> char {
    candidates
        .chars()
        .chain(('\u{100}'..).take(named.len() + 1))
        .find(|c| !named.contains(c))
        .unwrap_or('\u{100}')
}

/// The shortest name both `a` and `b` match and none of `excluded` matches, if any exists
/// (searched over the subset automata of all globs at once, within a bound on states).
pub fn common_name(a: &Glob, b: &Glob, excluded: &[&Glob]) -> Option<String> {
    let include = [a.pattern(), b.pattern()];
    let exclude: Vec<Pattern> = excluded.iter().map(|g| g.pattern()).collect();
    // Every literal of every glob, plus one character none of them names, stands for the rest.
    let mut alphabet: Vec<char> = include
        .iter()
        .chain(&exclude)
        .flat_map(Pattern::literals)
        .collect();
    alphabet.sort_unstable();
    alphabet.dedup();
    alphabet.push(fresh(&alphabet, "abcdefghijklmnopqrstuvwxyz0123456789"));
    let include: Vec<&Pattern> = include.iter().collect();
    let exclude: Vec<&Pattern> = exclude.iter().collect();
    match search(&include, &exclude, &alphabet, |_| true, 200_000) {
        Search::Found(name) => Some(name),
        Search::Exhausted | Search::GaveUp => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
    fn each_syntax_reads_its_own_wildcards() {
        assert!(matches(Syntax::Glob, "v?", "v1"));
        assert!(!matches(Syntax::Ecr, "v?", "v1"), "ECR reads `?` as itself");
        assert!(matches(Syntax::Ecr, "v?", "v?"));
        assert!(!Glob::verbatim("v?").matches("v1"));
        assert!(matches(Syntax::Prefix, "dev", "dev-1"));
        assert!(matches(Syntax::Prefix, "dev", "dev"));
        assert!(!matches(Syntax::Prefix, "d*", "dev"), "a prefix is literal");
        assert!(matches(Syntax::Prefix, "d*", "d*x"));
        assert!(matches(Syntax::Prefix, "", "anything"));
        assert!(matches(Syntax::Ecr, "*", ""));
        assert!(!matches(Syntax::Ecr, "", "a"));
        assert!(matches(Syntax::Ecr, "a*b*c", "aXXbYYc"));
        assert!(!matches(Syntax::Ecr, "a*b*c", "aXXbYYcZ"));
        assert!(matches(Syntax::Ecr, "*a*b", "aab"));
        assert!(matches(Syntax::Glob, "é*ü?", "éaüß"));
        assert!(
            !matches(Syntax::Glob, "??", "é"),
            "`?` is one character, not one byte"
        );
    }

    /// The automaton the searches walk, run as a matcher: the reference for the greedy one.
    fn automaton_accepts(p: &Pattern, name: &str) -> bool {
        let mut states = p.start();
        for c in name.chars() {
            states = p.step(&states, c);
        }
        p.accepts(&states)
    }

    proptest! {
        #[test]
        fn the_matcher_agrees_with_the_automaton(
            text in "[ab*?é]{0,8}",
            name in "[abé?*]{0,10}",
        ) {
            for syntax in [Syntax::Glob, Syntax::Ecr, Syntax::Prefix] {
                let p = Pattern::new(syntax, &text);
                let expected = automaton_accepts(&p, &name);
                prop_assert_eq!(p.matches(&name), expected, "{:?} {:?} {:?}", syntax, text, name);
                prop_assert_eq!(matches(syntax, &text, &name), expected);
            }
        }
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
    fn inclusion_is_proved_or_refused() {
        let t = |s| Glob::parse(s, GlobKind::Tag).unwrap();
        let yes = [
            ("prod-eu-*", "prod*"),
            ("prod", "prod*"),
            ("anything*", "*"),
            ("v1", "v?"),
            ("v??", "v*"),
            ("v*.*", "v*"),
            ("*-rc1", "*-rc*"),
            ("a?c", "a*c"),
            ("prod", "prod"),
        ];
        for (inner, outer) in yes {
            assert!(t(inner).included_in(&t(outer)), "{inner} in {outer}");
        }
        let no = [
            ("prod*", "prod-*"),
            ("v*", "v*.*"),
            ("*-rc*", "*-rc"),
            ("v?", "v1"),
            ("v*", "v?"),
            ("a*c", "a?c"),
            ("prod-*", "*-eu"),
            ("x*", "*x"),
        ];
        for (inner, outer) in no {
            assert!(!t(inner).included_in(&t(outer)), "{inner} not in {outer}");
        }
        // ECR's patterns read `?` literally; the same inclusion answers for them.
        assert!(!includes(&Pattern::ecr("v?"), &Pattern::ecr("v1")));
        assert!(includes(&Pattern::ecr("v?*"), &Pattern::ecr("v?1")));
        assert!(includes(
            &Pattern::new(Syntax::Prefix, "v"),
            &Pattern::ecr("v1.*")
        ));
    }

    #[test]
    fn a_search_finds_only_non_empty_names_and_proves_over_every_character() {
        // Two selections of every repository meet at a real name, not at the empty one.
        assert_eq!(common_name(&g("*"), &g("*"), &[]).as_deref(), Some("a"));
        // A character outside every candidate list still stands for the others.
        let named: Vec<char> = "abcdefghijklmnopqrstuvwxyz0123456789".chars().collect();
        assert!(!named.contains(&fresh(&named, "abc")));
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
