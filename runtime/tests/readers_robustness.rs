//! The snapshot and plan readers take any bytes without panicking, and a file that is not
//! even JSON is refused with the line and column where it went wrong.

#![allow(
    clippy::unwrap_used,
    reason = "a test or benchmark stops at the first surprise"
)]

use ecr_lifecycle_runtime::plan::Plan;
use ecr_lifecycle_runtime::snapshot::Snapshot;
use proptest::prelude::*;

fn check(text: &str) -> Result<(), TestCaseError> {
    let json_ok = serde_json::from_str::<serde_json::Value>(text).is_ok();
    if let Err(e) = Snapshot::parse(text) {
        prop_assert!(!e.message.is_empty());
        if !json_ok {
            prop_assert!(e.line > 0, "a syntax error has a position: {e:?}");
        }
    }
    if let Err(e) = Plan::from_json(text) {
        prop_assert!(!e.is_empty());
        if !json_ok {
            prop_assert!(e.contains("line "), "a syntax error has a position: {e}");
        }
    }
    Ok(())
}

/// Snapshot-shaped JSON with random values in the places that matter.
fn snapshot_like() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("null".to_string()),
        Just(
            "\"sha256:0000000000000000000000000000000000000000000000000000000000000001\""
                .to_string()
        ),
        Just("\"2026-01-01T00:00:00Z\"".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[a-z0-9:\\-]{0,12}".prop_map(|s| format!("\"{s}\"")),
        Just("[]".to_string()),
        Just("{}".to_string()),
    ];
    let key = prop::sample::select(vec![
        "imageDigest",
        "imagePushedAt",
        "imageTags",
        "imageSizeInBytes",
        "lastRecordedPullTime",
        "imageStatus",
        "childManifestDigests",
        "subjectManifestDigest",
        "other",
    ]);
    prop::collection::vec(prop::collection::vec((key, value), 0..6), 0..4).prop_map(|images| {
        let details: Vec<String> = images
            .iter()
            .map(|fields| {
                let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
                format!("{{{}}}", body.join(", "))
            })
            .collect();
        format!(
            "{{\"repositories\": [{{\"repositoryName\": \"r\", \"lifecyclePolicy\": null, \"imageDetails\": [{}]}}]}}",
            details.join(", ")
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn json_like_text_never_panics(text in "[\\[\\]{}\":,a-zA-Z0-9 .\\-]{0,200}") {
        check(&text)?;
    }

    #[test]
    fn snapshot_shaped_json_never_panics(text in snapshot_like()) {
        check(&text)?;
    }

    #[test]
    fn a_plan_with_fields_damaged_never_panics(cut in 0usize..2000) {
        let plan = include_str!("fixtures/plan.json");
        let cut = cut.min(plan.len());
        let damaged = format!("{}{}", &plan[..cut], &plan[cut..].replacen(':', ": 1, \"x\":", 1));
        check(&damaged)?;
        check(&plan[..cut])?;
    }
}

#[test]
fn the_fixture_plan_reads() {
    let plan = Plan::from_json(include_str!("fixtures/plan.json")).expect("the fixture is a plan");
    assert_eq!(plan.repositories.len(), 1);
}

#[test]
fn a_plan_written_as_it_is_made_is_the_same_text() {
    let plan = Plan::from_json(include_str!("fixtures/plan.json")).expect("the fixture is a plan");
    let mut written = Vec::new();
    plan.write_json(&mut written).expect("writes to memory");
    assert_eq!(String::from_utf8(written).unwrap(), plan.to_json());
    assert!(plan.to_json().ends_with("}\n"));
}
