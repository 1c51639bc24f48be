//! Small plans for the renderers' tests.

use ecr_lifecycle_compiler::image::Digest;
use ecr_lifecycle_compiler::reference::Reason;

use ecr_lifecycle_runtime::plan::{
    ImageAction, Plan, PolicyChange, Prices, RepositoryPlan, summarize,
};

pub(super) const POLICY: &str =
    "{\n  \"rules\": [\n    {\n      \"rulePriority\": 1\n    }\n  ]\n}\n";

pub(super) fn action(n: usize, rule: &str, reason: Reason) -> ImageAction {
    ImageAction {
        digest: format!("sha256:{n:064x}")
            .parse()
            .unwrap_or(Digest::from_bytes([0; 32])),
        tags: if n.is_multiple_of(3) {
            Vec::new()
        } else {
            vec![format!("build-{n}")]
        },
        pushed_at: "2026-01-02T03:04:05Z".parse().unwrap_or_default(),
        size_bytes: Some(100 << 20),
        archived: None,
        rule: Some(rule.into()),
        reason,
        last_tags_removed: false,
    }
}

pub(super) fn repository(name: &str, deletions: usize, ecr: usize, policy: &str) -> RepositoryPlan {
    RepositoryPlan {
        name: name.into(),
        account: None,
        region: None,
        registry: Default::default(),
        policy_file: "policies/team.yaml".into(),
        default_policy: false,
        lifecycle_policy: PolicyChange::Put {
            text: policy.into(),
        },
        deletions: (0..deletions)
            .map(|n| action(n, "window", Reason::KeepNone))
            .collect(),
        ecr_expirations: (0..ecr)
            .map(|n| {
                let days = 20 + n as i64;
                let reason = Reason::Age {
                    seconds: days * 86_400,
                    window: 14 * 86_400,
                };
                action(n + 100_000, "untagged", reason)
            })
            .collect(),
        tag_removals: Vec::new(),
        archivals: Vec::new(),
        ecr_archivals: Vec::new(),
        held: Vec::new(),
        kept_in_use: Vec::new(),
        notes: Vec::new(),
        applied_policy_expirations: Vec::new(),
        images_seen: deletions + ecr + 10,
        bytes_seen: 0,
    }
}

pub(super) fn plan(repositories: Vec<RepositoryPlan>) -> Plan {
    let prices = Prices::default();
    Plan {
        format_version: ecr_lifecycle_runtime::plan::FORMAT_VERSION,
        tool_version: "test".into(),
        created_at: "2026-11-01T00:00:00Z".into(),
        registries: vec![ecr_lifecycle_runtime::plan::RegistryId::File(
            "registry.json".into(),
        )],
        shard: None,
        allow_early_archive_delete: false,
        summary: summarize(&repositories, &prices),
        prices,
        policy_files: Vec::new(),
        repositories,
    }
}
