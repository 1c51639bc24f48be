use super::*;
use crate::dsl::parse;
use crate::dsl::policy::RuleId;
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
    assert_eq!(
        c.rules[1].ecr,
        EcrPart::Nothing(NotNative::CountIncludes {
            rule: "prod".into()
        })
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
        matches!(
            &c.rules[1].ecr,
            EcrPart::Nothing(NotNative::BlockedBy { rule, archive: false }) if rule == "semver"
        ),
        "{:?}",
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
    assert!(
        matches!(
            &c.rules[0].ecr,
            EcrPart::Nothing(NotNative::CannotSelect(Unselectable::Glob {
                glob,
                why: crate::glob::Inexpressible::QuestionMark
            })) if glob == "v?"
        ),
        "{:?}",
        c.rules[0].ecr
    );
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

fn compile_text(text: &str) -> Compiled {
    let p = parse(&SourceFile::new("p.yaml", text)).unwrap_or_else(|e| panic!("{e:#?}"));
    compile(&p)
}

fn reports(c: &Compiled) -> Vec<(RuleId, String, Disposition, Vec<u32>)> {
    c.rules
        .iter()
        .map(|r| {
            (
                r.rule,
                r.name.clone(),
                r.disposition,
                r.native_priorities.clone(),
            )
        })
        .collect()
}

#[test]
fn archive_rules_are_native_in_order_after_every_rule() {
    let c = compile_text(
        "version: 1
archive:
  expire_after: 730d
  rules:
    - { name: builds, description: CI builds, match: { tags: ['sha-*', 'pr-*'] }, expire_after: 90d }
    - { name: releases, match: { tags: ['v*'] }, keep: all }
    - { name: untagged, match: { untagged: true }, expire_after: 100d }
rules:
  - { name: old, match: any, keep: { within: 30d }, otherwise: archive }
",
    );
    assert_eq!(
        lines(&c),
        vec![
            "1 Any ArchiveOlderThanDays(30)",
            "2 Tagged([\"sha-*\"]) ExpireArchivedAfterDays(90)",
            "3 Tagged([\"pr-*\"]) ExpireArchivedAfterDays(90)",
            "4 Tagged([\"v*\"]) ClaimArchived",
            "5 Untagged ExpireArchivedAfterDays(100)",
            "6 Any ExpireArchivedAfterDays(730)",
        ]
    );
    assert!(c.warnings.is_empty(), "{:#?}", c.warnings);
    assert_eq!(
        reports(&c),
        vec![
            (RuleId::Rule(0), "old".into(), Disposition::Native, vec![1]),
            (
                RuleId::Archive(0),
                "builds".into(),
                Disposition::Native,
                vec![2, 3]
            ),
            (
                RuleId::Archive(1),
                "releases".into(),
                Disposition::Native,
                vec![4]
            ),
            (
                RuleId::Archive(2),
                "untagged".into(),
                Disposition::Native,
                vec![5]
            ),
            (
                RuleId::ArchiveDefault,
                "archive".into(),
                Disposition::Native,
                vec![6]
            ),
        ]
    );
    let native = c.native.expect("native").into_policy();
    let json = native.to_json_pretty();
    assert!(
        json.contains("\"description\": \"builds: CI builds (expire after 90 days in archive)\""),
        "{json}"
    );
    // The claim selects archived images and never fires.
    let claim = &native.rules[3].selection;
    assert_eq!(claim.storage_class, Some(native::StorageClass::Archive));
    assert_eq!(claim.count_type, native::CountType::SinceImageTransitioned);
    assert_eq!(claim.count_number, CLAIM_DAYS);
}

#[test]
fn an_archive_rule_ecr_cannot_select_blocks_later_archive_rules_of_its_class() {
    let c = compile_text(
        "version: 1
archive:
  expire_after: 400d
  rules:
    - { name: scanned, match: { tags: ['v*'], where: 'imageSizeInBytes > `10`' }, keep: all }
    - { name: rc, match: { tags: ['rc*'] }, expire_after: 90d }
    - { name: untagged, match: { untagged: true }, expire_after: 95d }
rules: []
",
    );
    // Only the untagged rule is native: `rc` and `expire_after` could act on images that
    // `scanned` keeps, and ECR cannot see which.
    assert_eq!(lines(&c), vec!["1 Untagged ExpireArchivedAfterDays(95)"]);
    assert_eq!(
        reports(&c),
        vec![
            (
                RuleId::Archive(0),
                "scanned".into(),
                Disposition::Runtime,
                vec![]
            ),
            (
                RuleId::Archive(1),
                "rc".into(),
                Disposition::Runtime,
                vec![]
            ),
            (
                RuleId::Archive(2),
                "untagged".into(),
                Disposition::Native,
                vec![1]
            ),
            (
                RuleId::ArchiveDefault,
                "archive".into(),
                Disposition::Runtime,
                vec![]
            ),
        ]
    );
    assert_eq!(
        c.rules[1].ecr,
        EcrPart::Nothing(NotNative::BlockedBy {
            rule: "scanned".into(),
            archive: true
        })
    );
    assert!(
        matches!(c.rules[1].runner, RunnerPart::ArchivedAfter(d) if d.to_string() == "90d"),
        "{:?}",
        c.rules[1].runner
    );
    let warned: Vec<(RuleId, &str)> = c.warnings.iter().map(warned).collect();
    assert_eq!(
        warned,
        [
            (RuleId::Archive(0), "unselectable"),
            (RuleId::Archive(1), "runtime"),
            (RuleId::ArchiveDefault, "runtime"),
        ]
    );
}

/// The rule a warning is about, and what it says of it.
fn warned(w: &Warning) -> (RuleId, &'static str) {
    match w {
        Warning::Rule { rule, kind, .. } => (
            *rule,
            match kind {
                RuleWarning::Unselectable(_) => "unselectable",
                RuleWarning::PartlyRuntime { .. } => "partly runtime",
                RuleWarning::Runtime(_) => "runtime",
                RuleWarning::CutForLimits { .. } => "cut",
            },
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn archive_claims_are_kept_only_where_they_shield_a_later_archive_rule() {
    // `keep: all` last in the archive shields nothing: no claim. Before `expire_after` it
    // shields, and an untagged `keep: all` does not shield tagged images from a tagged rule.
    let c = compile_text(
        "version: 1
archive:
  rules:
    - { name: untagged, match: { untagged: true }, keep: all }
    - { name: rc, match: { tags: ['rc*'] }, expire_after: 90d }
    - { name: releases, match: { tags: ['v*'] }, keep: all }
rules:
  - { name: all, match: any, keep: all }
",
    );
    assert_eq!(
        lines(&c),
        vec!["1 Tagged([\"rc*\"]) ExpireArchivedAfterDays(90)"]
    );
    for untouched in [1, 3] {
        assert_eq!(c.rules[untouched].ecr, EcrPart::NothingToDo);
    }
    let c = compile_text(
        "version: 1
archive:
  expire_after: 90d
  rules:
    - { name: releases, match: { tags: ['v*'] }, keep: all }
rules: []
",
    );
    assert_eq!(
        lines(&c),
        vec![
            "1 Tagged([\"v*\"]) ClaimArchived",
            "2 Any ExpireArchivedAfterDays(90)"
        ]
    );
}

#[test]
fn an_archive_window_in_hours_runs_partly_at_runtime_and_holding_keeps_the_claim() {
    let text = "version: 1
archive:
  rules:
    - { name: rc, match: { tags: ['rc*'] }, expire_after: 2170h }
    - { name: rest, match: { tags: ['*'] }, expire_after: 100d }
rules: []
";
    let c = compile_text(text);
    assert_eq!(
        lines(&c),
        vec![
            "1 Tagged([\"rc*\"]) ExpireArchivedAfterDays(91)",
            "2 Tagged([\"*\"]) ExpireArchivedAfterDays(100)"
        ]
    );
    assert_eq!(c.rules[0].disposition, Disposition::NativeAndRuntime);
    let p = parse(&SourceFile::new("p.yaml", text)).unwrap();
    let held = compile_holding(&p, &BTreeSet::from([RuleId::Archive(0)]));
    assert_eq!(
        lines(&held),
        vec![
            "1 Tagged([\"rc*\"]) ClaimArchived",
            "2 Tagged([\"*\"]) ExpireArchivedAfterDays(100)"
        ]
    );
    assert_eq!(held.rules[0].disposition, Disposition::Runtime);
    assert_eq!(held.rules[0].ecr, EcrPart::ShieldsOnly(NotNative::InUse));
}

#[test]
fn the_archive_rules_are_cut_last_to_fit_fifty_rules() {
    let mut text = String::from("version: 1\narchive:\n  expire_after: 90d\n  rules:\n");
    for i in 0..3 {
        text.push_str(&format!(
            "    - {{ name: a{i}, match: {{ tags: ['a{i}-*'] }}, expire_after: 95d }}\n"
        ));
    }
    text.push_str("rules:\n");
    for i in 0..60 {
        text.push_str(&format!(
            "  - {{ name: r{i}, match: {{ tags: ['r{i}-*'] }}, keep: {{ within: 9d }} }}\n"
        ));
    }
    let c = compile_text(&text);
    assert_eq!(c.specs.len(), 50);
    assert_eq!(c.specs.iter().filter(|s| s.action.in_archive()).count(), 4);
    assert_eq!(c.specs[45].rule, RuleId::Rule(45));
    assert_eq!(c.specs[46].rule, RuleId::Archive(0));
    let cut: Vec<&str> = c
        .rules
        .iter()
        .filter(|r| r.disposition == Disposition::Runtime)
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(cut.first(), Some(&"r46"));
    assert_eq!(cut.len(), 14);
    assert!(
        matches!(
            &c.warnings[0],
            Warning::Rule { rule: RuleId::Rule(46), name, kind: RuleWarning::CutForLimits { .. }, .. }
                if name == "r46"
        ),
        "{:?}",
        c.warnings
    );
}

#[test]
fn by_version_and_per_are_never_native_and_claim_their_images() {
    let c = compile_rules(
        "  - {name: lines, match: {tags: ['v*']}, keep: {newest: 3, by: version, per: 'v(\\d+)\\..*'}}\n  - {name: rest, match: {tags: ['*']}, keep: {within: 7d}}\n",
    );
    // The claim keeps `rest`'s age rule native: ECR's shield still works.
    assert_eq!(
        lines(&c),
        vec![
            "1 Tagged([\"v*\"]) Claim",
            "2 Tagged([\"*\"]) ExpireOlderThanDays(7)"
        ]
    );
    assert_eq!(
        dispositions(&c),
        vec![
            ("lines".into(), Disposition::Runtime),
            ("rest".into(), Disposition::Native)
        ]
    );
    let why = NotNative::RanksOtherwise {
        by: crate::dsl::policy::Order::Version,
        per: true,
    };
    assert_eq!(c.rules[0].ecr, EcrPart::ShieldsOnly(why.clone()));
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert_eq!(
        c.warnings.iter().map(warned).collect::<Vec<_>>(),
        [(RuleId::Rule(0), "runtime")]
    );
    // Per group by push time is not native either; a match ECR cannot select claims nothing.
    let c = compile_rules(
        "  - {name: branches, match: {tag_regex: 'feature-.+'}, keep: {newest: 2, per: 'feature-(.+)-.*'}}\n",
    );
    assert!(c.specs.is_empty());
    assert_eq!(c.rules[0].disposition, Disposition::Runtime);
    let c = compile_rules(
        "  - {name: branches, match: {tags: ['feature-*']}, keep: {newest: 2, per: 'feature-(.+)-.*'}}\n",
    );
    // Alone, it has nothing to shield.
    assert_eq!(
        c.rules[0].ecr,
        EcrPart::Nothing(NotNative::RanksOtherwise {
            by: crate::dsl::policy::Order::Push,
            per: true
        })
    );
}

#[test]
fn untag_is_never_native_but_shields_later_rules_with_a_claim() {
    // Later tagged rules need the pull-request images shielded: the claim stays.
    let c = compile_rules(
        "  - {name: pull-requests, match: {tags: ['pr-*']}, keep: {within: 30d}, otherwise: untag}\n  - {name: rest, match: {untagged: false}, keep: {within: 90d}}\n",
    );
    assert_eq!(
        lines(&c),
        vec![
            "1 Tagged([\"pr-*\"]) Claim",
            "2 Tagged([\"*\"]) ExpireOlderThanDays(90)"
        ]
    );
    let account = &c.rules[0];
    assert_eq!(account.disposition, Disposition::Runtime);
    assert_eq!(account.native_priorities, vec![1]);
    assert_eq!(account.ecr, EcrPart::ShieldsOnly(NotNative::RemovesTags));
    assert_eq!(account.runner, RunnerPart::NotKept(Otherwise::Untag));
    // Not expressible (a regex): nothing native, and the reason is ECR's selection.
    let c = compile_rules(
        "  - {name: pull-requests, match: {tag_regex: 'pr-[0-9]+'}, keep: none, otherwise: untag}\n",
    );
    assert!(c.native.is_none());
    assert!(matches!(
        c.rules[0].ecr,
        EcrPart::Nothing(NotNative::CannotSelect(_))
    ));
    assert_eq!(c.rules[0].runner, RunnerPart::Every(Otherwise::Untag));
}
