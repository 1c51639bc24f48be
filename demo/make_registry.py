#!/usr/bin/env python3
"""Writes demo/registry.json: a small registry snapshot for the README's tour and the tests.

Deterministic (fixed seed and dates), so the file only changes when this script does.
Run: python3 demo/make_registry.py > demo/registry.json
"""
import hashlib
import json
import random
from datetime import datetime, timedelta, timezone

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
rng = random.Random(20261101)


def digest(*parts):
    return "sha256:" + hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def image(repo, n, tags, days_ago, size=None, **extra):
    pushed = NOW - timedelta(days=days_ago, minutes=rng.randrange(0, 600))
    detail = {
        "imageDigest": digest(repo, n),
        "imageTags": tags,
        "imagePushedAt": pushed.isoformat(),
        "imageSizeInBytes": size if size is not None else rng.randrange(40, 480) * 1024 * 1024,
        "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json",
    }
    if rng.random() < 0.4:
        pulled = pushed + timedelta(days=rng.randrange(0, max(1, days_ago)))
        detail["lastRecordedPullTime"] = min(pulled, NOW).isoformat()
    detail.update(extra)
    if not tags:
        del detail["imageTags"]
    return detail


def apps_web():
    # Two years of builds; moving tags dev/rc/prod/latest sit on a few recent images.
    images = [image("apps/web", n, [f"build-{n}"] if n % 3 else [], 730 - n * 5) for n in range(146)]
    images[145]["imageTags"] = ["latest", "dev", "build-145"]
    images[140]["imageTags"] = ["rc", "build-140"]
    images[120]["imageTags"] = ["prod", "build-120"]
    return {"repositoryName": "apps/web", "lifecyclePolicy": None, "imageDetails": images}


def apps_api():
    images = []
    for n in range(60):
        images.append(image("apps/api", n, [f"1.{n}.0"] if n % 4 == 0 else [], 700 - n * 11))
    # A multi-architecture release: an index tagged prod, its two platform images untagged.
    amd = image("apps/api", "amd64", [], 400)
    arm = image("apps/api", "arm64", [], 400)
    index = image(
        "apps/api", "index", ["prod"], 400, size=max(amd["imageSizeInBytes"], arm["imageSizeInBytes"]),
        imageManifestMediaType="application/vnd.oci.image.index.v1+json",
        childManifestDigests=[amd["imageDigest"], arm["imageDigest"]],
    )
    images += [amd, arm, index]
    return {"repositoryName": "apps/api", "lifecyclePolicy": None, "imageDetails": images}


TRAP = {"rules": [
    {"rulePriority": 1, "description": "keep prod", "selection": {"tagStatus": "tagged", "tagPatternList": ["v2.*"], "countType": "imageCountMoreThan", "countNumber": 10}, "action": {"type": "expire"}},
    {"rulePriority": 2, "description": "keep 20", "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20}, "action": {"type": "expire"}},
]}


def services_payments():
    images = []
    for n in range(40):
        images.append(image("services/payments", f"v2-{n}", [f"v2.{n}.0"], 300 - n * 7))
    for n in range(12):
        images.append(image("services/payments", f"v1-{n}", [f"v1.{n}.0"], 700 - n * 30))
    for n in range(50):
        images.append(image("services/payments", f"main-{n}", [f"main-{n}"], 200 - n * 4))
    for n in range(30):
        images.append(image("services/payments", f"untagged-{n}", [], rng.randrange(0, 60)))
    # A hand-written native policy with the counting trap, applied long ago: drift.
    return {"repositoryName": "services/payments", "lifecyclePolicy": TRAP, "imageDetails": images}


def web_frontend():
    images = []
    for n in range(30):
        images.append(image("web-frontend", f"feat-{n}", [f"feature-{n}"], rng.randrange(1, 120)))
    for n in range(20):
        images.append(image("web-frontend", f"pr-{n}", [f"pr-{100 + n}"], rng.randrange(1, 90)))
    for n in range(40):
        images.append(image("web-frontend", f"semver-{n}", [f"v3.{n}.1"], 500 - n * 12))
    images.append(image("web-frontend", "prod", ["prod", "v3.39.1-hotfix"], 600))
    for n in range(25):
        images.append(image("web-frontend", f"untagged-{n}", [], rng.randrange(0, 30)))
    return {"repositoryName": "web-frontend", "lifecyclePolicy": None, "imageDetails": images}


def sandbox():
    images = [image("sandbox/experiments", n, [] if n % 2 else [f"try-{n}"], rng.randrange(0, 90)) for n in range(40)]
    # A multi-architecture image: its platform images are untagged and old, yet they stay
    # while the tagged index stays (ECR refuses to expire them, and the policy keeps them).
    amd = image("sandbox/experiments", "amd64", [], 120)
    arm = image("sandbox/experiments", "arm64", [], 120)
    images += [amd, arm, image(
        "sandbox/experiments", "index", ["multiarch"], 120, size=max(amd["imageSizeInBytes"], arm["imageSizeInBytes"]),
        imageManifestMediaType="application/vnd.oci.image.index.v1+json",
        childManifestDigests=[amd["imageDigest"], arm["imageDigest"]],
    )]
    untagged_policy = {"rules": [{"rulePriority": 1, "description": "untagged (expire after 14 days)", "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}, "action": {"type": "expire"}}]}
    return {"repositoryName": "sandbox/experiments", "lifecyclePolicy": untagged_policy, "imageDetails": images}


def ml_trainer():
    images = []
    for n in range(20):
        big = n % 3 == 0
        images.append(image("ml/trainer", n, [] if n % 2 else [f"model-{n}"], rng.randrange(0, 200),
                            size=rng.randrange(1100, 4000) * 1024 * 1024 if big else None))
    images[4]["imageScanFindingsSummary"] = {"findingSeverityCounts": {"CRITICAL": 2, "HIGH": 5}}
    return {"repositoryName": "ml/trainer", "lifecyclePolicy": None, "imageDetails": images}


def legacy():
    images = [image("legacy-tools", n, [f"0.{n}"], 900 - n * 30) for n in range(10)]
    old = {"rules": [{"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 5}, "action": {"type": "expire"}}]}
    return {"repositoryName": "legacy-tools", "lifecyclePolicy": old, "imageDetails": images}


def archive_reports():
    # Release images of a reporting tool: auditors pull an old one now and then. Some went to
    # ECR's archive storage class long ago, some recently.
    images = [image("archive/reports", n, [f"v{n}.0"], 600 - n * 30) for n in range(1, 19)]
    for n, archived_days_ago in [(101, 400), (102, 200), (103, 30)]:
        detail = image("archive/reports", n, [f"v0.{n - 100}"], 700)
        detail.pop("lastRecordedPullTime", None)
        detail["imageStatus"] = "ARCHIVED"
        detail["lastArchivedAt"] = (NOW - timedelta(days=archived_days_ago)).isoformat()
        images.append(detail)
    images.append(image("archive/reports", "scratch", [], 40))
    return {"repositoryName": "archive/reports", "lifecyclePolicy": None, "imageDetails": images}


repos = [apps_web(), apps_api(), services_payments(), web_frontend(), sandbox(), ml_trainer(), legacy(), archive_reports()]
print(json.dumps({"repositories": sorted(repos, key=lambda r: r["repositoryName"])}, indent=2))
