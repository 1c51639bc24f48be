use super::*;
use crate::dsl::parse;
use crate::source::SourceFile;

fn compile_rules(rules: &str) -> Compiled {
    let text = format!("version: 1\nrules:\n{rules}");
    let p = parse(&SourceFile::new("p.yaml", text)).unwrap_or_else(|e| panic!("{e:#?}"));
    compile(&p)
}

/// The native rules as `priority filter action` lines.
fn lines(c: &Compiled) -> Vec<String> {
    c.specs
        .iter()
        .map(|s| format!("{} {:?} {:?}", s.priority, s.filter, s.action))
        .collect()
}

fn dispositions(c: &Compiled) -> Vec<(String, Disposition)> {
    c.rules
        .iter()
        .map(|r| (r.name.clone(), r.disposition))
        .collect()
}

#[test]
fn the_trap_protect_then_count_does_not_count_natively() {
    // [prod: keep all, any: keep newest 10]: ECR's `any` count would include prod images.
    let c = compile_rules(
        "  - {name: prod, match: {tags: [prod*]}, keep: all}\n  - {name: rest, match: any, keep: {newest: 10}}\n",
    );
    assert!(c.native.is_none(), "{:?}", lines(&c));
    assert_eq!(
        dispositions(&c),
        vec![
            ("prod".into(), Disposition::Native),
            ("rest".into(), Disposition::Runtime)
        ]
    );
    assert!(
        c.rules[1]
            .ecr
            .contains("count would include images that rule `prod` governs")
    );
}

#[test]
fn disjoint_classes_count_natively() {
    let c = compile_rules(
        "  - {name: untagged, match: {untagged: true}, keep: {within: 14d}}\n  - {name: releases, match: {tags: ['v*']}, keep: {newest: 20}}\n",
    );
    assert_eq!(
        lines(&c),
        vec![
            "1 Untagged ExpireOlderThanDays(14)",
            "2 Tagged([\"v*\"]) ExpireBeyondCount(20)"
        ]
    );
    assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
    assert!(c.native.is_some());
}

#[test]
fn claims_shield_later_age_rules() {
    let c = compile_rules(
        "  - {name: prod, match: {tags: [prod, release-*]}, keep: all}\n  - {name: old, match: any, keep: {within: 30d}}\n",
    );
    assert_eq!(
        lines(&c),
        vec![
            "1 Tagged([\"prod\"]) Claim",
            "2 Tagged([\"release-*\"]) Claim",
            "3 Any ExpireOlderThanDays(30)"
        ]
    );
    assert_eq!(
        dispositions(&c),
        vec![
            ("prod".into(), Disposition::Native),
            ("old".into(), Disposition::Native)
        ]
    );
}

#[test]
fn an_inexpressible_rule_blocks_later_rules_of_its_class_only() {
    let c = compile_rules(
        "  - {name: semver, match: {tag_regex: 'v[0-9]+'}, keep: {newest: 5}}\n  - {name: dev, match: {tags: [dev-*]}, keep: {within: 7d}}\n  - {name: untagged, match: {untagged: true}, keep: {within: 2d}}\n",
    );
    assert_eq!(lines(&c), vec!["1 Untagged ExpireOlderThanDays(2)"]);
    assert_eq!(
        dispositions(&c),
        vec![
            ("semver".into(), Disposition::Runtime),
            ("dev".into(), Disposition::Runtime),
            ("untagged".into(), Disposition::Native)
        ]
    );
    assert!(
        c.rules[1].ecr.contains("rule `semver` before it"),
        "{}",
        c.rules[1].ecr
    );
}

#[test]
fn windows_in_hours_round_up_and_leave_the_rest_to_the_runner() {
    let c = compile_rules("  - {name: r, match: {untagged: true}, keep: {within: 36h}}\n");
    assert_eq!(lines(&c), vec!["1 Untagged ExpireOlderThanDays(2)"]);
    assert_eq!(c.rules[0].disposition, Disposition::NativeAndRuntime);
    assert_eq!(c.warnings.len(), 1);
}

#[test]
fn or_of_globs_acts_on_age_but_never_counts() {
    let c = compile_rules("  - {name: r, match: {tags: [a*, b*]}, keep: {within: 3d}}\n");
    assert_eq!(c.rules[0].disposition, Disposition::Native);
    assert_eq!(c.specs.len(), 2);
    let c = compile_rules("  - {name: r, match: {tags: [a*, b*]}, keep: {newest: 3}}\n");
    assert_eq!(c.rules[0].disposition, Disposition::Runtime);
    assert!(
        c.native.is_none(),
        "claims with nothing after them are pruned"
    );
}

#[test]
fn tags_all_and_tags_combine_into_and_lists() {
    let c = compile_rules(
        "  - {name: r, match: {tags: [a*, b*], tags_all: [prod]}, keep: {within: 3d}}\n",
    );
    assert_eq!(
        lines(&c),
        vec![
            "1 Tagged([\"a*\", \"prod\"]) ExpireOlderThanDays(3)",
            "2 Tagged([\"b*\", \"prod\"]) ExpireOlderThanDays(3)"
        ]
    );
}

#[test]
fn duplicate_filters_are_emitted_once() {
    let c = compile_rules(
        "  - {name: a, match: {tags: [v*]}, keep: all}\n  - {name: b, match: {tags: [v*, rc*]}, keep: {within: 9d}}\n",
    );
    assert_eq!(
        lines(&c),
        vec![
            "1 Tagged([\"v*\"]) Claim",
            "2 Tagged([\"rc*\"]) ExpireOlderThanDays(9)"
        ]
    );
}

#[test]
fn glob_ecr_cannot_express_goes_runtime() {
    let c = compile_rules("  - {name: r, match: {tags: ['v?']}, keep: {within: 3d}}\n");
    assert_eq!(c.rules[0].disposition, Disposition::Runtime);
    assert!(c.rules[0].ecr.contains("`?`"));
}

#[test]
fn any_after_a_rule_for_every_untagged_image_counts_the_tagged_ones_natively() {
    // The policy people write first: entirely native once `any` is narrowed to tagged images.
    let c = compile_rules(
        "  - {name: untagged, match: {untagged: true}, keep: {within: 14d}}\n  - {name: rest, match: any, keep: {newest: 30}}\n",
    );
    assert_eq!(
        lines(&c),
        vec![
            "1 Untagged ExpireOlderThanDays(14)",
            "2 Tagged([\"*\"]) ExpireBeyondCount(30)"
        ]
    );
    assert_eq!(
        dispositions(&c),
        vec![
            ("untagged".into(), Disposition::Native),
            ("rest".into(), Disposition::Native)
        ]
    );
    assert_eq!(c.rules[1].narrowing, Narrowing::ToTagged { by: 0 });
    assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
}

#[test]
fn any_after_a_rule_for_every_tagged_image_governs_the_untagged_ones() {
    for tagged in [
        "{tags: ['*']}",
        "{untagged: false}",
        "{tags_all: ['*']}",
        "{tags: [v*, '*']}",
    ] {
        let c = compile_rules(&format!(
            "  - {{name: tagged, match: {tagged}, keep: {{newest: 5}}}}\n  - {{name: rest, match: any, keep: {{newest: 3}}}}\n"
        ));
        assert_eq!(
            c.rules[1].narrowing,
            Narrowing::ToUntagged { by: 0 },
            "{tagged}"
        );
        assert_eq!(
            lines(&c)[1],
            "2 Untagged ExpireBeyondCount(3)",
            "{tagged}: {:?}",
            lines(&c)
        );
        assert_eq!(c.rules[1].disposition, Disposition::Native, "{tagged}");
    }
}

#[test]
fn a_partial_earlier_rule_does_not_narrow() {
    // `where` and a tag glob cover only part of a class: the count still meets their images.
    for earlier in [
        "{untagged: true, where: \"imageSizeInBytes > `5`\"}",
        "{tags: ['v*']}",
        "{tags_all: ['*', 'v*']}",
    ] {
        let c = compile_rules(&format!(
            "  - {{name: first, match: {earlier}, keep: {{within: 3d}}}}\n  - {{name: rest, match: any, keep: {{newest: 3}}}}\n"
        ));
        assert_eq!(c.rules[1].narrowing, Narrowing::None, "{earlier}");
        assert_eq!(c.rules[1].disposition, Disposition::Runtime, "{earlier}");
    }
}

#[test]
fn a_glob_list_with_every_tag_is_one_filter_and_can_count() {
    let c = compile_rules(
        "  - {name: tagged, match: {tags: [v*, '*']}, keep: {newest: 5}}\n  - {name: rest, match: any, keep: {within: 3d}}\n",
    );
    assert_eq!(
        lines(&c),
        vec![
            "1 Tagged([\"*\"]) ExpireBeyondCount(5)",
            "2 Untagged ExpireOlderThanDays(3)"
        ]
    );
    assert_eq!(c.rules[0].disposition, Disposition::Native);
}
