//! Parser and checker tests: each asserts the message and the exact text under the caret.

use super::*;
use policy::{Account, Keep};

fn file(text: &str) -> SourceFile {
    SourceFile::new("p.yaml", text)
}

#[track_caller]
fn errors(text: &str) -> Vec<(String, String)> {
    let f = file(text);
    let errs = crate::parse(&f).expect_err("expected the policy to be refused");
    errs.iter()
        .map(|d| {
            (
                d.message.clone(),
                d.span.map(|s| f.slice(s).to_string()).unwrap_or_default(),
            )
        })
        .collect()
}

#[track_caller]
fn one_error(text: &str) -> (String, String, Option<String>) {
    let f = file(text);
    let errs = parse(&f).expect_err("expected the policy to be refused");
    assert_eq!(errs.len(), 1, "{errs:#?}");
    let d = &errs[0];
    (
        d.message.clone(),
        d.span.map(|s| f.slice(s).to_string()).unwrap_or_default(),
        d.help.clone(),
    )
}

const HEAD: &str = "version: 1\nrules:\n";

/// A policy file and its policy, which must be valid.
#[track_caller]
fn policy_file(name: &str, text: &str) -> (SourceFile, Policy) {
    let f = SourceFile::new(name, text);
    let p = crate::parse(&f).expect("a valid policy");
    (f, p)
}

/// The conflicts among policy files, as `conflicting_claims` takes them.
fn conflicts(files: &[&(SourceFile, Policy)]) -> Vec<(usize, Diagnostic)> {
    let pairs: Vec<(&SourceFile, &Policy)> = files.iter().map(|(f, p)| (f, p)).collect();
    claims::conflicting_claims(&pairs)
}

#[test]
fn parses_the_design_example() {
    let text = r#"
version: 1
repositories: ["web-*", "api"]
exclude: ["web-legacy"]
rules:
  - name: releases
    match: { tags: ["v*.*.*"] }
    keep: { newest: 20 }
  - name: release-window
    match: any
    keep:
      within: 365d
      anchor: { oldest_tagged: [dev, rc, prod, latest] }
      at_least: 13
"#;
    let p = parse(&file(text)).unwrap();
    assert_eq!(p.rules.len(), 2);
    assert!(p.repositories.selects("web-api"));
    assert!(!p.repositories.selects("web-legacy"));
    assert!(!p.repositories.selects("worker"));
    let Keep::Retain(r) = &p.rules[1].keep.value else {
        panic!("expected a retain")
    };
    let a = r.anchored.as_ref().unwrap();
    assert_eq!(a.at_least, 13);
    assert_eq!(a.window.value, crate::duration::Duration::from_days(365));
    assert!(r.within.is_none(), "the window belongs to the anchor");
}

#[test]
fn unknown_key_suggests_the_near_one() {
    let (msg, under, help) = one_error(&format!(
        "{HEAD}  - name: a\n    match: {{ tagz: [v1] }}\n    keep: all\n"
    ));
    assert_eq!(msg, "unknown key `tagz`");
    assert_eq!(under, "tagz");
    assert_eq!(help.as_deref(), Some("did you mean `tags`?"));
}

#[test]
fn wrong_keyword_suggests_the_near_one() {
    let (msg, _, help) = one_error(&format!(
        "{HEAD}  - name: a\n    match: any\n    keep: nonе\n"
    ));
    assert!(msg.starts_with("unexpected \"nonе\""), "{msg}");
    assert_eq!(help.as_deref(), Some("did you mean `none`?"));
}

#[test]
fn wrong_type_and_yaml_errors_have_positions() {
    let (msg, _, _) = one_error("version: one\nrules: []\n");
    assert!(msg.contains("invalid"), "{msg}");
    let f = file("version: 1\nrules: [\n");
    let d = &parse(&f).unwrap_err()[0];
    assert!(d.span.is_some());
    let (msg, under, _) = one_error(&format!(
        "{HEAD}  - name: a\n    match: {{ untagged: yes }}\n    keep: all\n"
    ));
    assert_eq!(
        (msg.as_str(), under.as_str()),
        ("expected `true` or `false`", "yes")
    );
    let (msg, under, _) = one_error("version: 1\nversion: 1\nrules: []\n");
    assert_eq!(msg, "duplicate key `version`");
    assert_eq!(under, "version");
}

#[test]
fn reports_every_semantic_error_at_its_value() {
    let text = format!(
        "{HEAD}  - name: a\n    match: {{ tags: [\"v[1]\"] }}\n    keep: {{ within: 3mo }}\n  - name: a\n    match: {{ tag_regex: \"v(\" }}\n    keep: {{ newest: 0 }}\n"
    );
    let errs = errors(&text);
    let expect = [
        ("duplicate rule name `a`", "a"),
        (
            "`v[1]` can never match an image tag: `[` never occurs",
            "\"v[1]\"",
        ),
        ("`3mo` uses a calendar unit, whose length varies", "3mo"),
        ("`v(` is not a valid regular expression", "\"v(\""),
        ("`newest: 0` keeps nothing", "0"),
    ];
    for (msg, under) in expect {
        assert!(
            errs.iter().any(|(m, u)| m == msg && u == under),
            "missing ({msg}, {under}) in {errs:#?}"
        );
    }
    assert_eq!(errs.len(), expect.len(), "{errs:#?}");
}

#[test]
fn jmespath_errors_point_into_the_expression() {
    let text = format!(
        "{HEAD}  - name: a\n    match: {{ where: \"imageSizeInBytes > \" }}\n    keep: all\n"
    );
    let f = file(&text);
    let d = &parse(&f).unwrap_err()[0];
    assert!(
        d.message
            .starts_with("`where` is not a valid JMESPath expression"),
        "{}",
        d.message
    );
    let start = d.span.unwrap().start as usize;
    assert!(
        start > text.find("imageSize").unwrap(),
        "points inside the expression"
    );
}

#[test]
fn keep_combinations_are_checked() {
    let (msg, under, help) = one_error(&format!(
        "{HEAD}  - name: a\n    match: any\n    keep: {{ at_least: 3 }}\n"
    ));
    assert_eq!(
        (msg.as_str(), under.as_str()),
        ("`at_least` only applies with `anchor`", "3")
    );
    assert_eq!(
        help.as_deref(),
        Some("to keep the 3 newest images, write `newest: 3`")
    );
    let (msg, under, _) = one_error(&format!(
        "{HEAD}  - name: a\n    match: any\n    keep: {{ anchor: {{ oldest_tagged: [prod] }} }}\n"
    ));
    assert_eq!(msg, "`anchor` needs `within`");
    assert_eq!(under, "{");
    let (msg, _, _) = one_error(&format!(
        "{HEAD}  - name: a\n    match: any\n    keep: {{}}\n"
    ));
    assert_eq!(msg, "`keep` is empty");
    let (msg, under, _) = one_error(&format!(
        "{HEAD}  - name: a\n    match: {{ untagged: true, tags: [v*] }}\n    keep: all\n"
    ));
    assert_eq!(
        msg,
        "`untagged: true` contradicts the tag conditions beside it"
    );
    assert_eq!(under, "true");
}

#[test]
fn rules_after_a_catch_all_are_unreachable() {
    let text = format!(
        "{HEAD}  - name: untagged\n    match: {{ untagged: true }}\n    keep: none\n  - name: tagged\n    match: {{ untagged: false }}\n    keep: all\n  - name: late\n    match: {{ where: \"imageSizeInBytes > `1`\" }}\n    keep: none\n"
    );
    let errs = errors(&text);
    assert_eq!(
        errs,
        vec![(
            "rule `late` can never match an image".to_string(),
            "late".to_string()
        )]
    );
    let ok = format!(
        "{HEAD}  - name: big\n    match: {{ untagged: true, where: \"imageSizeInBytes > `1`\" }}\n    keep: none\n  - name: rest\n    match: any\n    keep: all\n"
    );
    assert!(parse(&file(&ok)).is_ok());
}

/// The refusal of a rule an earlier rule covers: (the rule's name under the caret, the
/// notes), or `None` when the policy is accepted.
#[track_caller]
fn shadowed(rules: &str) -> Option<(String, String, Vec<String>)> {
    let f = file(&format!("{HEAD}{rules}"));
    match crate::parse(&f) {
        Ok(_) => None,
        Err(errs) => {
            assert_eq!(errs.len(), 1, "{errs:#?}");
            let d = &errs[0];
            Some((
                d.message.clone(),
                f.slice(d.span.unwrap()).to_string(),
                d.notes.clone(),
            ))
        }
    }
}

#[test]
fn a_rule_whose_tags_an_earlier_rule_covers_is_refused_at_both_places() {
    // The case lint calls shadowed in a native policy: `prod-eu-*` after `prod*`.
    let (msg, under, notes) = shadowed(
        "  - name: prod\n    match: { tags: [\"prod*\"] }\n    keep: all\n  - name: prod-eu\n    match: { tags: [\"prod-eu-*\"] }\n    keep: { newest: 3 }\n",
    )
    .expect("refused");
    assert_eq!(msg, "rule `prod-eu` can never match an image");
    assert_eq!(under, "prod-eu");
    assert_eq!(
        notes,
        [
            "rule `prod` at p.yaml:3:11 before it already governs every image this rule could match",
            "every tag `prod-eu-*` matches, `prod*` matches too",
        ]
    );
    // Every glob of the later `tags` in some glob of the earlier one; `?` is one character.
    let (_, under, notes) = shadowed(
        "  - name: a\n    match: { tags: [\"a*\", \"v?\"] }\n    keep: all\n  - name: b\n    match: { tags: [v1, \"a-*\"], tags_all: [\"x*\"] }\n    keep: none\n",
    )
    .expect("refused");
    assert_eq!(under, "b");
    assert_eq!(
        notes[1],
        "every tag `v1` matches, `v?` matches too; every tag `a-*` matches, `a*` matches too"
    );
    // `tags_all` after `tags_all`: each earlier glob holds for a later one.
    let (_, under, notes) = shadowed(
        "  - name: stable-prod\n    match: { tags_all: [\"prod*\", stable] }\n    keep: all\n  - name: stable-prod-eu\n    match: { tags_all: [stable, \"prod-eu-*\", \"v*\"] }\n    keep: { within: 7d }\n",
    )
    .expect("refused");
    assert_eq!(under, "stable-prod-eu");
    assert_eq!(
        notes[1],
        "every tag `prod-eu-*` matches, `prod*` matches too; both rules have the glob `stable`"
    );
    // `tags` after `tags_all` when every later glob meets every earlier one.
    let (_, under, _) = shadowed(
        "  - name: p\n    match: { tags_all: [\"p*\"] }\n    keep: all\n  - name: q\n    match: { tags: [\"p1*\", \"p2*\"] }\n    keep: none\n",
    )
    .expect("refused");
    assert_eq!(under, "q");
    // Archive rules are first-match too.
    let f = file(
        "version: 1\narchive:\n  rules:\n    - { name: builds, match: { tags: [\"sha-*\"] }, expire_after: 90d }\n    - { name: old-builds, match: { tags: [\"sha-0*\"] }, keep: all }\nrules: [{ name: r, match: any, keep: all }]\n",
    );
    let errs = crate::parse(&f).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(
        errs[0].message,
        "archive rule `old-builds` can never match an image"
    );
    assert_eq!(
        errs[0].notes[0],
        "archive rule `builds` at p.yaml:4:15 before it already governs every archived image this could govern"
    );
}

#[test]
fn a_rule_only_partly_covered_or_not_provably_covered_is_accepted() {
    for rules in [
        // One glob of the later rule is outside the earlier ones.
        "  - name: a\n    match: { tags: [\"prod*\"] }\n    keep: all\n  - name: b\n    match: { tags: [\"prod-eu-*\", \"v*\"] }\n    keep: none\n",
        // The later glob is wider.
        "  - name: a\n    match: { tags: [\"prod-*\"] }\n    keep: all\n  - name: b\n    match: { tags: [\"prod*\"] }\n    keep: none\n",
        // An earlier `tags_all` glob no later glob is sure to meet.
        "  - name: a\n    match: { tags_all: [\"prod*\", stable] }\n    keep: all\n  - name: b\n    match: { tags_all: [\"prod-eu-*\"] }\n    keep: none\n",
        // `tags_all` of the later rule over several earlier `tags_all` globs: only some.
        "  - name: a\n    match: { tags_all: [\"p*\", \"q*\"] }\n    keep: all\n  - name: b\n    match: { tags: [\"p1*\", \"q1*\"] }\n    keep: none\n",
        // An earlier rule with `where` or `tag_regex` may leave images to the later one.
        "  - name: a\n    match: { tags: [\"prod*\"], where: \"imageSizeInBytes > `1`\" }\n    keep: all\n  - name: b\n    match: { tags: [\"prod-eu-*\"] }\n    keep: none\n",
        "  - name: a\n    match: { tags: [\"prod*\"], tag_regex: 'prod-[0-9]+' }\n    keep: all\n  - name: b\n    match: { tags: [\"prod-eu-*\"] }\n    keep: none\n",
        // A later rule with `where` or `tag_regex` is only called covered by a whole tag class.
        "  - name: a\n    match: { tags: [\"prod*\"] }\n    keep: all\n  - name: b\n    match: { tags: [\"prod-eu-*\"], where: \"imageSizeInBytes > `1`\" }\n    keep: none\n",
        "  - name: a\n    match: { tags: [\"prod*\"] }\n    keep: all\n  - name: b\n    match: { tag_regex: 'prod-eu-.*' }\n    keep: none\n",
        // Untagged images and `any` are never covered by tag globs.
        "  - name: a\n    match: { tags: [\"*x\", \"x*\"] }\n    keep: all\n  - name: b\n    match: any\n    keep: none\n",
    ] {
        assert_eq!(shadowed(rules), None, "{rules}");
    }
    // With `evaluation: ecr` the rules are ECR's, which lint reads.
    let ecr = "version: 1\nevaluation: ecr\nrules:\n  - {name: a, match: {tags_all: [\"prod*\"]}, keep: {newest: 1}}\n  - {name: b, match: {tags_all: [\"prod-eu*\"]}, keep: {newest: 1}}\n  - {name: c, match: any, keep: {within: 3d}}\n";
    assert!(crate::parse(&file(ecr)).is_ok());
    // The whole-class case keeps refusing a rule with `where` after it.
    let (_, under, notes) = shadowed(
        "  - name: tagged\n    match: { untagged: false }\n    keep: all\n  - name: big\n    match: { tags: [v*], where: \"imageSizeInBytes > `1`\" }\n    keep: none\n",
    )
    .expect("refused");
    assert_eq!(under, "big");
    assert_eq!(notes.len(), 1, "{notes:?}");
}

#[test]
fn rendered_error_shows_file_line_column_and_caret() {
    let f = file(&format!(
        "{HEAD}  - name: a\n    match: any\n    keep: {{ within: 14 }}\n"
    ));
    let d = &parse(&f).unwrap_err()[0];
    // The CLI draws it there, with a caret under the span and the help.
    assert_eq!(d.location(&f), "p.yaml:5:21");
    let span = d.span.unwrap();
    assert_eq!(&f.text[span.start as usize..span.end as usize], "14");
    assert!(
        d.help
            .as_deref()
            .is_some_and(|h| h.starts_with("write a whole number followed by `h`, `d` or `w`")),
        "{d:?}"
    );
}

#[test]
fn overlapping_repository_claims_are_reported_with_an_example() {
    let a = policy_file(
        "a.yaml",
        "version: 1\nrepositories: [\"web-*\"]\nrules: [{name: r, match: any, keep: all}]\n",
    );
    let b = policy_file(
        "b.yaml",
        "version: 1\nrepositories: [\"*-api\", \"worker\"]\nrules: [{name: r, match: any, keep: all}]\n",
    );
    let c = policy_file(
        "c.yaml",
        "version: 1\nrepositories: [\"web-*\"]\nexclude: [\"web-*\"]\nrules: [{name: r, match: any, keep: all}]\n",
    );
    let found = conflicts(&[&a, &b, &c]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].0, 1);
    assert_eq!(
        found[0].1.message,
        "repository `web-api` would be governed by both `a.yaml` and `b.yaml`"
    );
}

#[test]
fn default_is_a_boolean_at_its_position() {
    let text = "version: 1\ndefault: true\nrules: [{name: r, match: any, keep: all}]\n";
    let f = file(text);
    let p = crate::parse(&f).unwrap();
    assert!(p.is_default());
    assert_eq!(f.slice(p.default.unwrap()), "true");
    let p = crate::parse(&file(
        "version: 1\ndefault: false\nrules: [{name: r, match: any, keep: all}]\n",
    ))
    .unwrap();
    assert!(!p.is_default(), "`default: false` is an ordinary file");
    let (msg, under, _) =
        one_error("version: 1\ndefault: yes\nrules: [{name: r, match: any, keep: all}]\n");
    assert_eq!(
        (msg.as_str(), under.as_str()),
        ("expected `true` or `false`", "yes")
    );
    let (msg, under, help) =
        one_error("version: 1\ndefualt: true\nrules: [{name: r, match: any, keep: all}]\n");
    assert_eq!(
        (msg.as_str(), under.as_str()),
        ("unknown key `defualt`", "defualt")
    );
    assert_eq!(help.as_deref(), Some("did you mean `default`?"));
}

#[test]
fn two_defaults_conflict_at_both_places_and_a_default_yields_to_ordinary_files() {
    let org = policy_file(
        "org.yaml",
        "version: 1\ndefault: true\nrules: [{name: r, match: any, keep: all}]\n",
    );
    let team = policy_file(
        "team.yaml",
        "version: 1\nrepositories: [\"team/*\"]\nrules: [{name: r, match: any, keep: all}]\n",
    );
    let everything = policy_file(
        "all.yaml",
        "version: 1\nrules: [{name: r, match: any, keep: all}]\n",
    );
    assert!(
        conflicts(&[&org, &team]).is_empty(),
        "a default and an ordinary file that select one repository"
    );
    assert!(conflicts(&[&everything, &org]).is_empty());
    // Two defaults, one naming its repositories: the error is at its glob, the note at the
    // other file's `default: true`.
    let web = policy_file(
        "web.yaml",
        "version: 1\nrepositories: [\"web-*\"]\ndefault: true\nrules: [{name: r, match: any, keep: all}]\n",
    );
    let found = conflicts(&[&org, &team, &web]);
    assert_eq!(found.len(), 1, "{found:#?}");
    let (i, d) = &found[0];
    assert_eq!(*i, 2);
    assert_eq!(
        d.message,
        "repository `web-` would be governed by both default files `org.yaml` and `web.yaml`"
    );
    assert_eq!(web.0.slice(d.span.unwrap()), "\"web-*\"");
    assert_eq!(
        d.notes,
        [
            "`org.yaml` has no `repositories`, so the default file at org.yaml:2:10 selects every repository"
        ]
    );
    // The other way round: the error at the later file's `default: true`, the note at the glob.
    let found = conflicts(&[&web, &org]);
    let (_, d) = &found[0];
    assert_eq!(org.0.slice(d.span.unwrap()), "true");
    assert_eq!(
        d.notes,
        ["`web.yaml` selects it through `web-*` at web.yaml:2:16"]
    );
    assert_eq!(
        d.help.as_deref(),
        Some(
            "one default file per repository: narrow `repositories` of one of them, or add `web-` (or a glob) to its `exclude`"
        )
    );
    // Defaults of other regions, or with disjoint repositories, do not conflict.
    let eu = policy_file(
        "eu.yaml",
        "version: 1\ndefault: true\nregions: [eu-west-1]\nrules: [{name: r, match: any, keep: all}]\n",
    );
    let us = policy_file(
        "us.yaml",
        "version: 1\ndefault: true\nregions: [us-east-1]\nrules: [{name: r, match: any, keep: all}]\n",
    );
    let api = policy_file(
        "api.yaml",
        "version: 1\nrepositories: [\"api-*\"]\ndefault: true\nrules: [{name: r, match: any, keep: all}]\n",
    );
    assert!(conflicts(&[&eu, &us, &team]).is_empty());
    assert!(conflicts(&[&web, &api]).is_empty());
    assert_eq!(
        conflicts(&[&eu, &org]).len(),
        1,
        "the run-time region may be eu-west-1"
    );
}

#[test]
fn the_governing_file_is_the_ordinary_one_then_the_default() {
    let team = policy_file(
        "team.yaml",
        "version: 1\nrepositories: [\"team/*\"]\nexclude: [\"team/legacy\"]\nrules: [{name: r, match: any, keep: all}]\n",
    );
    let org = policy_file(
        "org.yaml",
        "version: 1\ndefault: true\nexclude: [sandbox]\nrules: [{name: r, match: any, keep: all}]\n",
    );
    let eu = policy_file(
        "eu.yaml",
        "version: 1\nrepositories: [\"eu/*\"]\nregions: [eu-west-1]\nrules: [{name: r, match: any, keep: all}]\n",
    );
    // In either order: the default is asked only when no ordinary file selects the name.
    for files in [[&org, &team, &eu], [&team, &eu, &org]] {
        let policies = files.map(|(_, p)| p);
        let governs = |repo: &str, region: Option<&str>| {
            let place = claims::Place::Unit {
                account: None,
                region,
            };
            claims::governing(policies.iter().copied(), repo, place)
                .map(|i| policies[i].source.as_str())
        };
        assert_eq!(governs("team/web", None), Some("team.yaml"));
        assert_eq!(governs("api", None), Some("org.yaml"));
        // What a team file excludes falls to the default; what the default excludes, to none.
        assert_eq!(governs("team/legacy", None), Some("org.yaml"));
        assert_eq!(governs("sandbox", None), None);
        // `eu.yaml` governs `eu/*` in eu-west-1, and may meet the run-time region: the
        // default leaves those names alone there too, rather than risk two files for one.
        assert_eq!(governs("eu/web", Some("eu-west-1")), Some("eu.yaml"));
        assert_eq!(governs("eu/web", None), None);
        // The default (no `regions`) governs the run-time region only.
        assert_eq!(governs("api", Some("eu-west-1")), None);
        // Images of an unknown registry: any file's regions count.
        let anywhere = |repo: &str| {
            claims::governing(policies.iter().copied(), repo, claims::Place::Anywhere)
                .map(|i| policies[i].source.as_str())
        };
        assert_eq!(anywhere("eu/web"), Some("eu.yaml"));
        assert_eq!(anywhere("api"), Some("org.yaml"));
    }
}

#[test]
fn regions_are_checked_and_separate_claims() {
    let p = parse(&file("version: 1\nregions: [eu-west-1, us-gov-west-1]\nrules: [{name: a, match: any, keep: all}]\n")).unwrap();
    assert_eq!(
        p.regions.as_deref(),
        Some(&["eu-west-1".to_string(), "us-gov-west-1".to_string()][..])
    );
    assert!(
        p.covers_region(Some("eu-west-1"))
            && !p.covers_region(None)
            && !p.covers_region(Some("us-east-1"))
    );
    let errs = errors(
        "version: 1\nregions: [eu-west-1, Europe, eu-west-1]\nrules: [{name: a, match: any, keep: all}]\n",
    );
    assert_eq!(
        errs,
        vec![
            (
                "`Europe` is not an AWS region".to_string(),
                "Europe".to_string()
            ),
            (
                "region `eu-west-1` is listed twice".to_string(),
                "eu-west-1".to_string()
            ),
        ]
    );
    let in_eu = policy_file(
        "eu.yaml",
        "version: 1\nregions: [eu-west-1]\nrules: [{name: r, match: any, keep: all}]\n",
    );
    let in_us = policy_file(
        "us.yaml",
        "version: 1\nregions: [us-east-1]\nrules: [{name: r, match: any, keep: all}]\n",
    );
    let default = policy_file(
        "d.yaml",
        "version: 1\nrules: [{name: r, match: any, keep: all}]\n",
    );
    assert!(
        conflicts(&[&in_eu, &in_us]).is_empty(),
        "same names, other regions"
    );
    assert_eq!(
        conflicts(&[&in_eu, &default]).len(),
        1,
        "the default region may be eu-west-1"
    );
}

#[test]
fn ecr_evaluation_takes_priorities_and_prefixes_and_refuses_what_ecr_cannot_do() {
    let ok = "version: 1\nevaluation: ecr\nrules:\n  - {name: a, priority: 10, match: {tag_prefixes: [prod]}, keep: {newest: 1}}\n  - {name: b, priority: 20, match: any, keep: {within: 3d}}\n";
    let p = parse(&file(ok)).unwrap();
    assert_eq!(p.rules[0].priority, Some(10));
    let errs = errors(
        "version: 1\nevaluation: ecr\nrules:\n  - {name: a, match: {tag_regex: 'v.*'}, keep: {newest: 1}}\n  - {name: b, match: any, keep: all}\n",
    );
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(
        errs[0]
            .0
            .starts_with("rule `a`: ECR cannot express this match"),
        "{errs:#?}"
    );
    assert!(
        errs[1]
            .0
            .starts_with("rule `b`: every ECR rule acts on something"),
        "{errs:#?}"
    );
    let (msg, _, help) =
        one_error("version: 1\nrules:\n  - {name: a, match: {tag_prefixes: [prod]}, keep: all}\n");
    assert_eq!(msg, "`tag_prefixes` only applies with `evaluation: ecr`");
    assert_eq!(help.as_deref(), Some("write `tags_all: [\"prod*\"]`"));
    let (msg, _, _) =
        one_error("version: 1\nrules:\n  - {name: a, priority: 3, match: any, keep: all}\n");
    assert_eq!(msg, "`priority` only applies with `evaluation: ecr`");
    // ECR's own rules apply: the `any` rule must come last.
    let errs = errors(
        "version: 1\nevaluation: ecr\nrules:\n  - {name: a, priority: 1, match: any, keep: {newest: 1}}\n  - {name: b, priority: 2, match: {untagged: true}, keep: {within: 1d}}\n",
    );
    assert!(
        errs[0].0.starts_with("ECR would refuse this policy"),
        "{errs:#?}"
    );
}

#[test]
fn accounts_are_one_profile_or_one_role_and_separate_claims() {
    let p = parse(&file("version: 1\naccounts:\n  - profile: prod\n  - role_arn: arn:aws:iam::123456789012:role/ecr-lifecycle\nrules: [{name: a, match: any, keep: all}]\n")).unwrap();
    let prod = Account::Profile("prod".into());
    let role = Account::RoleArn("arn:aws:iam::123456789012:role/ecr-lifecycle".into());
    assert_eq!(p.accounts, Some(vec![prod.clone(), role.clone()]));
    assert!(p.covers(Some(&prod), None) && p.covers(Some(&role), None));
    assert!(!p.covers(None, None));
    assert!(!p.covers(Some(&Account::Profile("dev".into())), None));
    let errs = errors(
        "version: 1\naccounts:\n  - {profile: a, role_arn: 'arn:aws:iam::123456789012:role/x'}\n  - {role_arn: 'arn:aws:iam::1234:role/x'}\n  - {profile: prod}\n  - {profile: prod}\nrules: [{name: a, match: any, keep: all}]\n",
    );
    let messages: Vec<&str> = errs.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(
        messages,
        [
            "an account needs exactly one of `profile` and `role_arn`",
            "`arn:aws:iam::1234:role/x` is not an IAM role ARN",
            "profile prod is listed twice",
        ]
    );
    let prod_only = policy_file(
        "prod.yaml",
        "version: 1\naccounts: [{profile: prod}]\nrules: [{name: r, match: any, keep: all}]\n",
    );
    let dev_only = policy_file(
        "dev.yaml",
        "version: 1\naccounts: [{profile: dev}]\nrules: [{name: r, match: any, keep: all}]\n",
    );
    let default = policy_file(
        "d.yaml",
        "version: 1\nrules: [{name: r, match: any, keep: all}]\n",
    );
    assert!(
        conflicts(&[&prod_only, &dev_only]).is_empty(),
        "same names, other accounts"
    );
    assert_eq!(
        conflicts(&[&prod_only, &default]).len(),
        1,
        "the default credentials may reach prod"
    );
}

#[test]
fn archive_rules_are_checked_at_their_values() {
    let text = "version: 1
archive:
  expire_after: 30d
  rules:
    - name: builds
      match: { tags: ['sha-[0-9]'] }
      expire_after: 89d
    - name: both
      match: any
      expire_after: 90d
      keep: all
    - name: neither
      match: { untagged: true }
    - name: bad name
      priority: 3
      match: { tag_prefixes: [v] }
      expire_after: 2147483648d
    - { name: r, match: any, keep: all }
rules:
  - { name: r, match: any, keep: all }
";
    let errs = errors(text);
    let expect = [
        (
            "`expire_after: 30d` is shorter than ECR's 90-day minimum for archived images",
            "30d",
        ),
        (
            "`sha-[0-9]` can never match an image tag: `[` never occurs",
            "'sha-[0-9]'",
        ),
        (
            "`expire_after: 89d` is shorter than ECR's 90-day minimum for archived images",
            "89d",
        ),
        (
            "an archive rule has `expire_after` or `keep: all`, not both",
            "all",
        ),
        (
            "archive rule `neither` says neither `expire_after` nor `keep: all`",
            "neither",
        ),
        ("`bad name` is not a valid rule name", "bad name"),
        ("`priority` only applies with `evaluation: ecr`", "3"),
        ("`tag_prefixes` only applies with `evaluation: ecr`", "[v]"),
        (
            "`2147483648d` is longer than 2147483647 days",
            "2147483648d",
        ),
        ("duplicate rule name `r`", "r"),
    ];
    for (msg, under) in expect {
        assert!(
            errs.iter().any(|(m, u)| m == msg && u == under),
            "missing ({msg}, {under}) in {errs:#?}"
        );
    }
    assert_eq!(errs.len(), expect.len(), "{errs:#?}");
}

#[test]
fn a_duplicate_name_across_rules_and_archive_rules_points_at_the_first() {
    let text = "version: 1\nrules:\n  - { name: old, match: any, keep: all }\narchive:\n  rules:\n    - { name: old, match: any, expire_after: 90d }\n";
    let f = file(text);
    let errs = parse(&f).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].message, "duplicate rule name `old`");
    assert_eq!(errs[0].notes, ["first used at p.yaml:3:13"]);
    let span = errs[0].span.expect("a span");
    assert_eq!(f.line_col(span.start as usize), (6, 15));
}

#[test]
fn an_archive_section_must_say_something_and_keep_its_settings_for_expire_after() {
    let (msg, under, _) = one_error("version: 1\narchive: {}\nrules: []\n");
    assert_eq!(msg, "`archive` says nothing about archived images");
    assert_eq!(under, "{}");
    let errs = errors(
        "version: 1\narchive:\n  description: old ones\n  rules:\n    - { name: a, match: any, expire_after: 90d }\nrules: []\n",
    );
    assert_eq!(
        errs,
        [(
            "`archive.description` is for `expire_after`'s rule, and there is none".to_string(),
            "old ones".to_string()
        )]
    );
    let (msg, under, _) = one_error(
        "version: 1\narchive:\n  rules:\n    - { name: a, match: any, keep: none }\nrules: []\n",
    );
    assert_eq!(
        msg,
        "unexpected \"none\": expected `all` (an archive rule deletes with `expire_after`)"
    );
    // The YAML library points at the key of a value it refuses.
    assert_eq!(under, "keep");
}

#[test]
fn archive_rules_after_one_that_governs_every_archived_image_are_unreachable() {
    let errs = errors(
        "version: 1
archive:
  expire_after: 365d
  rules:
    - { name: untagged, match: { untagged: true }, expire_after: 90d }
    - { name: tagged, match: { tags: ['*'] }, keep: all }
    - { name: rc, match: { tags: ['rc*'] }, expire_after: 90d }
rules: []
",
    );
    assert_eq!(
        errs,
        [
            (
                "`expire_after` can never govern an archived image".to_string(),
                "365d".to_string()
            ),
            (
                "archive rule `rc` can never match an image".to_string(),
                "rc".to_string()
            ),
        ]
    );
}

#[test]
fn ecr_evaluation_takes_archive_rules_verbatim_and_refuses_what_ecr_cannot_do() {
    let ok = "version: 1
evaluation: ecr
archive:
  expire_after: 400d
  priority: 7
  rules:
    - { name: rc, priority: 2, match: { tag_prefixes: [rc] }, expire_after: 90d }
    - { name: odd, priority: 3, match: { tags_all: ['a/b?', '*'] }, expire_after: 100d }
rules:
  - { name: all, priority: 1, match: any, keep: { within: 365000d } }
";
    let p = parse(&file(ok)).unwrap_or_else(|e| panic!("{e:#?}"));
    let (specs, _) = crate::translate::ecr_native(&p).unwrap();
    let got: Vec<(u32, String)> = specs
        .iter()
        .map(|s| (s.priority, format!("{:?} {:?}", s.filter, s.action)))
        .collect();
    assert_eq!(
        got,
        [
            (1, "Any ExpireOlderThanDays(365000)".to_string()),
            (
                2,
                "TaggedPrefixes([\"rc\"]) ExpireArchivedAfterDays(90)".to_string()
            ),
            (
                3,
                "Tagged([\"a/b?\", \"*\"]) ExpireArchivedAfterDays(100)".to_string()
            ),
            (7, "Any ExpireArchivedAfterDays(400)".to_string()),
        ]
    );
    let errs = errors(
        "version: 1
evaluation: ecr
archive:
  expire_after: 2161h
  rules:
    - { name: kept, match: { untagged: true }, keep: all }
rules: []
",
    );
    assert_eq!(
        errs,
        [
            (
                "archive rule `kept`: every ECR rule acts on something: give `expire_after`"
                    .to_string(),
                "kept".to_string()
            ),
            (
                "`archive`: ECR counts whole days: write `expire_after` in days".to_string(),
                "2161h".to_string()
            ),
        ]
    );
}

#[test]
fn rules_may_be_left_out_only_when_archive_is_given() {
    let f = file("version: 1\narchive:\n  expire_after: 200d\n");
    let policy = parse(&f).expect("an archive-only policy is valid");
    assert!(policy.rules.is_empty());
    let (message, at, help) = one_error("version: 1\nrepositories: [\"a\"]\n");
    assert_eq!(message, "the policy has no rules");
    assert_eq!(at, "");
    assert_eq!(
        help.as_deref(),
        Some("add at least one rule under `rules:`")
    );
    let (message, at, _) = one_error("version: 1\nrules: []\n");
    assert_eq!(message, "the policy has no rules");
    assert_eq!(at, "[", "the caret is at the empty list");
}

#[test]
fn by_and_per_are_checked_at_their_positions() {
    let rule = |keep: &str| format!("{HEAD}  - name: a\n    match: any\n    keep: {keep}\n");
    let (msg, under, help) = one_error(&rule("{ newest: 3, by: semver }"));
    assert_eq!(msg, "unknown value `semver`: expected `push` or `version`");
    assert_eq!(under, "semver");
    assert_eq!(help, None);
    let (msg, under, help) = one_error(&rule("{ newest: 3, by: versions }"));
    assert_eq!(
        msg,
        "unknown value `versions`: expected `push` or `version`"
    );
    assert_eq!(under, "versions");
    assert_eq!(help.as_deref(), Some("did you mean `version`?"));

    let (msg, under, help) = one_error(&rule(r"{ newest: 3, per: 'v(\d+' }"));
    assert_eq!(msg, r"`v(\d+` is not a valid regular expression");
    assert_eq!(under, r"'v(\d+'");
    assert!(help.is_some_and(|h| h.contains("anchored")));

    let (msg, under, help) = one_error(&rule(r"{ newest: 3, per: 'v(?:\d+)\..*' }"));
    assert_eq!(msg, "`per` has no capture group");
    assert_eq!(under, r"'v(?:\d+)\..*'");
    assert!(help.is_some_and(|h| h.contains(r"v?(\d+\.\d+)\..*")));

    let (msg, under, help) = one_error(&rule("{ within: 14d, by: version }"));
    assert_eq!(
        (msg.as_str(), under.as_str()),
        ("`by` only applies with `newest`", "version")
    );
    assert_eq!(
        help.as_deref(),
        Some("add `newest: 3` (for example) beside `by`")
    );
    // Both, each at its own key; and nothing else (no "`keep` is empty").
    assert_eq!(
        errors(&rule("{ by: push, per: '(.*)' }")),
        vec![
            (
                "`by` only applies with `newest`".to_string(),
                "push".to_string()
            ),
            (
                "`per` only applies with `newest`".to_string(),
                "'(.*)'".to_string()
            ),
        ]
    );
}

#[test]
fn by_and_per_qualify_newest() {
    let text = format!(
        "{HEAD}  - name: a\n    match: {{ tags: [\"v*\"] }}\n    keep: {{ newest: 3, by: version, per: 'v?(\\d+)\\..*', within: 7d }}\n  - name: b\n    match: any\n    keep: {{ newest: 2, by: push }}\n"
    );
    let p = crate::parse(&file(&text)).expect("valid");
    let Keep::Retain(r) = &p.rules[0].keep.value else {
        panic!("a retain")
    };
    let n = r.newest.as_ref().expect("newest");
    assert_eq!(
        (n.count.value, n.by, r.alternatives()),
        (3, policy::Order::Version, 2)
    );
    let per = n.per.as_ref().expect("per");
    assert_eq!(per.captures("v1.4.2"), Some(vec![Some("1".to_string())]));
    assert_eq!(per.captures("latest"), None);
    assert!(!n.by_push_time_alone());
    let Keep::Retain(r) = &p.rules[1].keep.value else {
        panic!("a retain")
    };
    assert!(r.newest.as_ref().is_some_and(|n| n.by_push_time_alone()));
}

#[test]
fn evaluation_ecr_refuses_by_and_per() {
    let text = "version: 1\nevaluation: ecr\nrules:\n  - name: a\n    match: { tags: [\"v*\"] }\n    keep: { newest: 3, by: version }\n";
    let errs = errors(text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].0.contains("ECR counts by push time"), "{errs:?}");
}

#[test]
fn otherwise_untag_is_refused_where_the_match_names_no_tag() {
    let rule = |m: &str, keep: &str| {
        format!("{HEAD}  - name: a\n    match: {m}\n    keep: {keep}\n    otherwise: untag\n")
    };
    let needs = "`otherwise: untag` needs a match that names tags";
    for (m, under) in [
        ("any", "any"),
        ("{ untagged: true }", "{ untagged: true }"),
        ("{ untagged: false }", "{ untagged: false }"),
        (
            "{ where: \"imageSizeInBytes > `5`\" }",
            "{ where: \"imageSizeInBytes > `5`\" }",
        ),
    ] {
        let (msg, at, help) = one_error(&rule(m, "{ within: 30d }"));
        assert_eq!((msg.as_str(), at.as_str()), (needs, under), "{m}");
        assert!(help.is_some_and(|h| h.contains("tag_regex")));
    }
    let (msg, at, _) = one_error(&rule("{ tags: [pr-*] }", "all"));
    assert_eq!(
        (msg.as_str(), at.as_str()),
        ("`otherwise: untag` has nothing to untag", "untag")
    );
    let (msg, at, _) = one_error(
        "version: 1\nevaluation: ecr\nrules:\n  - name: a\n    match: { tags: [pr-*] }\n    keep: { newest: 3 }\n    otherwise: untag\n",
    );
    assert_eq!(
        (msg.as_str(), at.as_str()),
        (
            "`otherwise: untag` does not apply with `evaluation: ecr`",
            "untag"
        )
    );
    // A tag condition, with or without `where`, names the tags to remove.
    for m in [
        "{ tags: [pr-*] }",
        "{ tags_all: [pr-*, sha-*] }",
        "{ tag_regex: 'pr-[0-9]+' }",
        "{ tags: [pr-*], where: \"imageSizeInBytes > `5`\" }",
    ] {
        let f = file(&rule(m, "{ within: 30d }"));
        let p = parse(&f).unwrap_or_else(|e| panic!("{m}: {e:#?}"));
        assert_eq!(p.rules[0].otherwise, policy::Otherwise::Untag);
    }
}
