"""Fixtures for the benchmark (standard library only).

- `registry_seed(now)`: 200 repositories `apps/svc-000` … `apps/svc-199` of 500 images each,
  pushed over the two years before `now`, as the body of the stand-in's `POST /_stand_in/seed`.
- `write_images_json(path, now)`: 1,000 repositories × 1,000 images as `aws ecr describe-images`
  prints them, spread over the repositories that the example policies in `policies/` govern.

Both are deterministic for a given `now` (fixed random seeds).

Repositories of the seed, by number `r`:
- `r % 10 == 0`  never deployed: releases, branch builds and untagged images, but no `dev`,
  `rc`, `prod` or `latest` tag (no anchor at all);
- `r % 20 == 1`  deployed per region only: `prod-eu` and `prod-us`, no plain `prod`/`latest`;
- `r % 20 == 11` both: `dev`, `rc`, `prod`, `latest`, and an older release still tagged `prod-eu`;
- `r % 10 == 2`  quiet history: 20 images spread over two years, then a burst of 480 recent
  builds, the oldest deployed image among the first of the burst (`at_least` decides);
- `r % 10 == 3`  an image pushed one hour after `anchor − 365 days`, with the anchor pushed
  20 hours past a whole number of days before `now` (the window edge, to the hour);
- the rest: ordinary history, `latest` on the newest build, `dev` on a recent one, `rc` on the
  newest release and `prod` on a release pushed 30–300 days ago.
"""

from __future__ import annotations

import json
import random

DAY = 86_400
REPOSITORIES = 200
IMAGES_PER_REPOSITORY = 500
SPAN_DAYS = 730
WINDOW_DAYS = 365
AT_LEAST = 13
MOVING = ("dev", "rc", "prod", "latest")


def repository_name(r: int) -> str:
    return f"apps/svc-{r:03d}"


def _sha(rng: random.Random, used: set) -> str:
    """A short commit hash, unique within the repository (a tag names one image)."""
    for _ in range(1000):
        sha = f"{rng.getrandbits(28):07x}"
        if sha not in used:
            used.add(sha)
            return sha
    raise RuntimeError("no unused commit hash in 1000 draws")


def _history(rng: random.Random, times: list[int], used: set) -> list[dict]:
    """Tags for pushes at `times` (oldest first): releases, branch builds, untagged leftovers."""
    images, major, minor, patch = [], 1, 0, 0
    for t in times:
        roll = rng.random()
        if roll < 0.35:
            tags = []
        elif roll < 0.50:
            patch += 1
            if rng.random() < 0.15:
                minor, patch = minor + 1, 0
            if rng.random() < 0.02:
                major, minor, patch = major + 1, 0, 0
            tags = [f"v{major}.{minor}.{patch}"]
        elif roll < 0.85:
            tags = [f"main-{_sha(rng, used)}"]
        else:
            tags = [f"pr-{rng.randrange(1, 4000)}-{_sha(rng, used)}"]
        images.append(
            {
                "tags": tags,
                "pushedAt": t,
                "sizeInBytes": rng.randrange(20, 900) * 1024 * 1024 + rng.randrange(0, 1 << 20),
            }
        )
    return images


def _distinct_times(rng: random.Random, count: int, oldest: int, newest: int) -> list[int]:
    """`count` distinct whole-second push times in [oldest, newest], oldest first."""
    return sorted(rng.sample(range(oldest, newest + 1), count))


def _newest_release_in(images: list[dict], lo: int, hi: int) -> dict | None:
    found = [i for i in images if lo <= i["pushedAt"] <= hi and i["tags"][:1] and i["tags"][0].startswith("v")]
    return found[-1] if found else None


def _tag(image: dict, tag: str) -> None:
    if tag not in image["tags"]:
        image["tags"].append(tag)


def _repository(r: int, now: int) -> list[dict]:
    rng = random.Random(7_000_003 * (r + 1))
    used: set = set()
    n = IMAGES_PER_REPOSITORY
    span = SPAN_DAYS * DAY
    if r % 10 == 2:
        # Quiet for two years (one image every ~35 days), then busy: 480 builds in 40 days.
        old = [now - span + k * 35 * DAY + rng.randrange(0, DAY) for k in range(20)]
        recent = _distinct_times(rng, n - 20, now - 40 * DAY, now - 60)
        images = _history(rng, old + recent, used)
        # The oldest image of the burst becomes the oldest deployed one: `prod` on it.
        first = images[20]
        first["tags"] = first["tags"] or [f"main-{_sha(rng, used)}"]
        _tag(first, "prod")
        _tag(images[-1], "latest")
        _tag(images[-3], "dev")
        return images

    times = _distinct_times(rng, n, now - span, now - 60)
    images = _history(rng, times, used)
    newest = images[-1]
    newest["tags"] = newest["tags"] or [f"main-{_sha(rng, used)}"]

    if r % 10 == 0:  # never deployed
        return images
    if r % 20 == 1:  # regional deployments only
        eu = _newest_release_in(images, now - 300 * DAY, now - 100 * DAY) or images[-200]
        us = _newest_release_in(images, now - 60 * DAY, now - 5 * DAY) or images[-20]
        for image, tag in ((eu, "prod-eu"), (us, "prod-us")):
            image["tags"] = image["tags"] or [f"main-{_sha(rng, used)}"]
            _tag(image, tag)
        return images

    _tag(newest, "latest")
    dev = rng.choice([i for i in images[-6:-1] if i["tags"]] or [newest])
    _tag(dev, "dev")
    rc = _newest_release_in(images, now - 60 * DAY, now - DAY) or images[-10]
    rc["tags"] = rc["tags"] or ["v0.0.0-rc"]
    _tag(rc, "rc")
    prod = _newest_release_in(images, now - rng.randrange(30, 300) * DAY, now - 30 * DAY) or images[-60]
    prod["tags"] = prod["tags"] or [f"main-{_sha(rng, used)}"]
    _tag(prod, "prod")

    if r % 20 == 11:  # an older regional deployment, tagged prod-eu
        eu = _newest_release_in(images, prod["pushedAt"] - 200 * DAY, prod["pushedAt"] - 60 * DAY)
        eu = eu or images[max(0, images.index(prod) - 80)]
        eu["tags"] = eu["tags"] or [f"main-{_sha(rng, used)}"]
        _tag(eu, "prod-eu")
    if r % 10 == 3:
        # The anchor (prod) 20 hours past a whole number of days before now, and one image
        # an hour inside the 365-day window behind it.
        days = rng.randrange(60, 200)
        anchor_at = now - days * DAY - 20 * 3600
        taken = {i["pushedAt"] for i in images if i is not prod}
        anchor_at = next(t for t in range(anchor_at, anchor_at - 600, -1) if t not in taken)
        prod["pushedAt"] = anchor_at
        edge_at = anchor_at - WINDOW_DAYS * DAY + 3600
        edge_at = next(t for t in range(edge_at, edge_at + 600) if t not in taken)
        images.append(
            {"tags": [], "pushedAt": edge_at, "sizeInBytes": rng.randrange(20, 900) * 1024 * 1024}
        )
        images.remove(next(i for i in images[:-1] if not i["tags"] and i is not prod))
        images.sort(key=lambda i: i["pushedAt"])
    return images


def registry_seed(now: int) -> dict:
    """The body of `POST /_stand_in/seed`; push times as epoch seconds."""
    return {
        "repositories": [
            {"name": repository_name(r), "images": _repository(r, now)} for r in range(REPOSITORIES)
        ]
    }


# ---------------------------------------------------------------- 1,000,000 images for `evaluate`

# Repository name prefixes that the example policies govern (evaluate skips ungoverned ones).
EXAMPLE_REPOSITORIES = [
    ("web-{}", "policies/mixed.yaml"),
    ("ml/model-{}", "policies/large-untagged.yaml"),
    ("services/svc-{}", "policies/release-lines.yaml"),
    ("apps/app-{}", "policies/release-window.yaml"),
    ("sandbox/box-{}", "policies/untagged-cleanup.yaml"),
]


def write_images_json(path: str, now: int, repositories: int = 1000, per_repository: int = 1000) -> int:
    """Writes describe-images JSON; returns the number of images written."""
    rng = random.Random(20_260_101)
    span = SPAN_DAYS * DAY
    count = 0
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as out:
        out.write('{"imageDetails":[')
        for r in range(repositories):
            pattern, _ = EXAMPLE_REPOSITORIES[r % len(EXAMPLE_REPOSITORIES)]
            name = pattern.format(r)
            times = sorted(rng.randrange(now - span, now - 60) for _ in range(per_repository))
            moving = {
                per_repository - 1: ["latest", "dev"],
                per_repository - 40: ["rc"],
                per_repository - 150: ["prod"],
            }
            parts = []
            for i, t in enumerate(times):
                roll = rng.random()
                if i in moving:
                    tags = moving[i] + [f"v2.{i // 50}.{i % 50}"]
                elif roll < 0.35:
                    tags = []
                elif roll < 0.50:
                    tags = [f"v{1 + i // 500}.{(i // 50) % 10}.{i % 50}"]
                elif roll < 0.80:
                    tags = [f"main-{rng.getrandbits(28):07x}"]
                elif roll < 0.95:
                    tags = [f"feature-{rng.randrange(1, 300)}-{rng.getrandbits(28):07x}"]
                else:
                    tags = [f"pr-{rng.randrange(1, 4000)}"]
                size = rng.randrange(20, 1200) * 1024 * 1024
                detail = (
                    f'{{"registryId":"123456789012","repositoryName":"{name}",'
                    f'"imageDigest":"sha256:{rng.getrandbits(256):064x}",'
                    + (f'"imageTags":{json.dumps(tags)},' if tags else "")
                    + f'"imageSizeInBytes":{size},"imagePushedAt":{t}.{rng.randrange(1000):03d},'
                    '"imageManifestMediaType":"application/vnd.oci.image.manifest.v1+json",'
                    '"artifactMediaType":"application/vnd.oci.image.config.v1+json"'
                )
                if rng.random() < 0.3:
                    detail += f',"lastRecordedPullTime":{min(now, t + rng.randrange(0, 90 * DAY))}'
                if name.startswith("ml/") and rng.random() < 0.2:
                    detail += (
                        ',"imageScanFindingsSummary":{"findingSeverityCounts":'
                        f'{{"CRITICAL":{rng.randrange(0, 3)},"HIGH":{rng.randrange(0, 9)}}}}}'
                    )
                parts.append(detail + "}")
            if count:
                out.write(",")
            out.write(",".join(parts))
            count += len(parts)
        out.write("]}")
    return count
