use ecr_lifecycle_compiler::image::{Digest, Image};
use jiff::Timestamp;

use super::*;

const HOST: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

fn digest(n: u8) -> Digest {
    format!("sha256:{}", format!("{n:02x}").repeat(32))
        .parse()
        .unwrap()
}

fn here() -> RegistryHost {
    RegistryHost::private(Some("123456789012".into()), Some("eu-west-1".into()))
}

fn state() -> RepositoryState {
    let t = Timestamp::from_second(1_700_000_000).unwrap();
    RepositoryState {
        name: "team/web".into(),
        lifecycle_policy: None,
        images: vec![
            Image::new(digest(1), &["v1"], t),
            Image::new(digest(2), &["v2", "latest"], t),
            Image::new(digest(3), &[], t),
        ],
    }
}

fn everything() -> InUseSettings {
    InUseSettings {
        ecs: true,
        lambda: true,
        files: Vec::new(),
    }
}

#[test]
fn references_parse_as_docker_writes_them() {
    let r = ImageReference::parse(&format!("{HOST}/team/web:v1")).unwrap();
    assert_eq!(r.host.as_deref(), Some(HOST));
    assert_eq!(r.repository, "team/web");
    assert_eq!(r.tag.as_deref(), Some("v1"));
    assert_eq!(r.digest, None);
    let r = ImageReference::parse(&format!("{HOST}/web:v1@{}", digest(7))).unwrap();
    assert_eq!((r.tag.as_deref(), r.digest), (Some("v1"), Some(digest(7))));
    let r = ImageReference::parse("localhost:5000/web").unwrap();
    assert_eq!((r.host.as_deref(), r.tag), (Some("localhost:5000"), None));
    let r = ImageReference::parse("nginx:1.27").unwrap();
    assert_eq!((r.host, r.repository.as_str()), (None, "nginx"));
    for bad in ["", "web:", "web@sha256:12", "a b"] {
        assert!(ImageReference::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(
        ImageReference::parse(&format!("{HOST}/web:v1"))
            .unwrap()
            .to_string(),
        format!("{HOST}/web:v1")
    );
}

/// The repository `reference` names in registry `h`, if any.
fn named(h: &RegistryHost, reference: &str) -> Option<String> {
    let r = ImageReference::parse(reference).unwrap();
    h.repository_of(&r).map(str::to_string)
}

#[test]
fn only_this_registry_counts() {
    let h = here();
    let web = Some("web".to_string());
    assert_eq!(named(&h, &format!("{HOST}/web:v1")), web);
    assert_eq!(
        named(&h, "123456789012.dkr.ecr-fips.eu-west-1.amazonaws.com/web"),
        web
    );
    assert_eq!(named(&h, "123456789012.dkr-ecr.eu-west-1.on.aws/web"), web);
    assert_eq!(
        named(&h, "123456789012.dkr.ecr.us-east-1.amazonaws.com/web"),
        None
    );
    assert_eq!(
        named(&h, "210987654321.dkr.ecr.eu-west-1.amazonaws.com/web"),
        None
    );
    assert_eq!(named(&h, "docker.io/web"), None);
    assert_eq!(named(&h, "public.ecr.aws/web/web"), None);
    // A snapshot does not say its account or region: any private ECR host is it.
    let any = RegistryHost::default();
    assert_eq!(
        named(&any, "210987654321.dkr.ecr.us-east-1.amazonaws.com/web"),
        web
    );
    assert_eq!(named(&any, "ghcr.io/web"), None);
}

#[test]
fn ecr_public_references_name_alias_and_repository() {
    let h = RegistryHost::public(Some("acme".into()));
    assert_eq!(
        named(&h, "public.ecr.aws/acme/web:v1").as_deref(),
        Some("web")
    );
    assert_eq!(named(&h, "public.ecr.aws/acme/team/web@sha256:0000000000000000000000000000000000000000000000000000000000000001").as_deref(), Some("team/web"));
    assert_eq!(named(&h, "public.ecr.aws/other/web:v1"), None);
    assert_eq!(named(&h, "public.ecr.aws/web"), None);
    assert_eq!(named(&h, &format!("{HOST}/acme/web")), None);
    assert_eq!(named(&here(), "public.ecr.aws/acme/web"), None);
    // The alias unknown (nothing listed yet): any alias.
    assert_eq!(
        named(&RegistryHost::public(None), "public.ecr.aws/x/web").as_deref(),
        Some("web")
    );
}

#[test]
fn tags_resolve_to_the_digest_they_name_now_and_digests_stand() {
    let mut usage = Usage::default();
    usage.add(
        &format!("{HOST}/team/web:v1"),
        "ecs service prod/web",
        &Source::Ecs,
    );
    usage.add(
        &format!("{HOST}/team/web"),
        "lambda function api:1",
        &Source::Lambda,
    );
    usage.add(
        &format!("{HOST}/team/web@{}", digest(3)),
        "kubernetes pod a/b",
        &Source::File("k.json".into()),
    );
    usage.add(
        &format!("{HOST}/team/web:gone"),
        "ecs service prod/old",
        &Source::Ecs,
    );
    usage.add(
        &format!("{HOST}/team/api:v1"),
        "ecs service prod/api",
        &Source::Ecs,
    );
    usage.add(
        "team/web:v2",
        "kubernetes pod a/hub",
        &Source::File("k.json".into()),
    );
    usage.add(
        "210987654321.dkr.ecr.eu-west-1.amazonaws.com/team/web:v2",
        "ecs service x/y",
        &Source::Ecs,
    );
    let found = usage.resolve(&state(), &here(), &everything(), &["k.json".into()]);
    let got: Vec<(Digest, Vec<String>)> = found
        .iter()
        .map(|(d, c)| (*d, c.iter().cloned().collect()))
        .collect();
    assert_eq!(
        got,
        [
            (digest(1), vec!["ecs service prod/web".to_string()]),
            (digest(2), vec!["lambda function api:1".to_string()]),
            (digest(3), vec!["kubernetes pod a/b".to_string()]),
        ]
    );
    // A policy that names only Lambda sees only Lambda's use.
    let lambda_only = InUseSettings {
        ecs: false,
        lambda: true,
        files: Vec::new(),
    };
    let found = usage.resolve(&state(), &here(), &lambda_only, &[]);
    assert_eq!(
        found.iter().map(|(d, _)| *d).collect::<Vec<_>>(),
        [digest(2)]
    );
    let t = usage.tally(&here());
    assert_eq!((t.ecs, t.lambda, t.files, t.elsewhere), (3, 1, 1, 2));
}

#[test]
fn kubectl_output_names_each_pod_and_reads_image_ids() {
    let text = format!(
        r#"{{"apiVersion": "v1", "kind": "List", "items": [
          {{"kind": "Pod", "metadata": {{"name": "web-7d9f", "namespace": "prod"}},
            "spec": {{"containers": [{{"name": "web", "image": "{HOST}/team/web:v1"}}],
                     "initContainers": [{{"name": "init", "image": "busybox"}}]}},
            "status": {{"containerStatuses": [{{"imageID": "docker-pullable://{HOST}/team/web@{d}", "image": "{HOST}/team/web:v1"}},
                                             {{"imageID": ""}}]}}}},
          {{"kind": "Deployment", "metadata": {{"name": "api", "namespace": "prod"}},
            "spec": {{"template": {{"spec": {{"containers": [{{"image": "{HOST}/team/web:v2"}}]}}}}}}}}
        ]}}"#,
        d = digest(3)
    );
    let usage = files::parse(&text, "in-use/pods.json").unwrap();
    let mut seen: Vec<(String, String)> = usage
        .uses
        .iter()
        .map(|u| (u.consumer.clone(), u.reference.to_string()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            (
                "kubernetes deployment prod/api".to_string(),
                format!("{HOST}/team/web:v2")
            ),
            (
                "kubernetes pod prod/web-7d9f".to_string(),
                format!("{HOST}/team/web:v1")
            ),
            (
                "kubernetes pod prod/web-7d9f".to_string(),
                format!("{HOST}/team/web:v1")
            ),
            (
                "kubernetes pod prod/web-7d9f".to_string(),
                format!("{HOST}/team/web@{}", digest(3))
            ),
            (
                "kubernetes pod prod/web-7d9f".to_string(),
                "busybox".to_string()
            ),
        ]
    );
    assert!(
        usage
            .uses
            .iter()
            .all(|u| u.source == Source::File("in-use/pods.json".into()))
    );
}

#[test]
fn a_json_array_lists_references_and_anything_else_is_refused_with_a_position() {
    let usage = files::parse(
        &format!(r#"["{HOST}/team/web:v1", "not a ref"]"#),
        "list.json",
    )
    .unwrap();
    assert_eq!(usage.uses.len(), 1);
    assert_eq!(usage.uses[0].consumer, "file list.json");
    assert_eq!(usage.unreadable.len(), 1);
    let e = files::parse("{\n  \"items\": [\n", "k.json").unwrap_err();
    assert!(e.starts_with("k.json:3:"), "{e}");
    let e = files::parse(r#"{"a": 1}"#, "k.json").unwrap_err();
    assert!(e.contains("kubectl"), "{e}");
}
