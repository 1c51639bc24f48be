#!/usr/bin/env python3
"""Checks the stand-in's ECR Public API (ecr_stand_in.py) with boto3's own `ecr-public` client:
its paginators, the 100-id limit, deleting by tag and by digest, failures[], the us-east-1-only
endpoint, fault injection and the call log. Run by tests/cli/stand_in.rs; exits non-zero with
the first failed check.

    .venv/bin/python tests/e2e/ecr_public_fidelity.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3
import botocore.exceptions
from botocore.config import Config

HERE = Path(__file__).resolve().parent
CHECKS = []


def check(name: str, ok: bool, detail="") -> None:
    CHECKS.append(name)
    if not ok:
        print(f"FAILED: {name}: {detail}", file=sys.stderr)
        sys.exit(1)


def error_code(call) -> str | None:
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return None


class StandIn:
    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "ecr_stand_in.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        first = self.proc.stdout.readline().strip()
        assert first.startswith("listening on http://127.0.0.1:"), first
        self.url = first.removeprefix("listening on ")

    def post(self, path: str, body, method="POST"):
        req = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read() or b"null")

    def client(self, region="us-east-1", attempts=3):
        return boto3.client(
            "ecr-public",
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"mode": "standard", "max_attempts": attempts}),
        )

    def close(self):
        self.proc.kill()
        self.proc.wait()


def main() -> None:
    s = StandIn()
    try:
        run(s)
    finally:
        s.close()
    print(f"ok: {len(CHECKS)} checks")


def run(s: StandIn) -> None:
    images = [{"tags": [f"v{n}"], "pushedAt": 1700000000 + n} for n in range(250)]
    images += [{"tags": ["a", "b"]}, {"tags": []}, {"tags": ["c"]}]
    seeded = s.post(
        "/_stand_in/seed",
        {
            "registry": "ecr-public",
            "alias": "acme",
            "repositories": [{"name": "web", "images": images}, {"name": "team/api"}],
        },
    )["repositories"]
    digests = seeded[0]["digests"]
    ecr = s.client()

    # DescribeRepositories, page by page.
    pages = list(
        ecr.get_paginator("describe_repositories").paginate(PaginationConfig={"PageSize": 1})
    )
    repos = [r for p in pages for r in p["repositories"]]
    check("repositories page by page", len(pages) == 2, pages)
    check(
        "repositories are named and located",
        [(r["repositoryName"], r["repositoryUri"]) for r in repos]
        == [("team/api", "public.ecr.aws/acme/team/api"), ("web", "public.ecr.aws/acme/web")],
        repos,
    )
    check(
        "a missing repository",
        error_code(lambda: ecr.describe_images(repositoryName="nope"))
        == "RepositoryNotFoundException",
    )

    # DescribeImages: pages of up to 1000, ECR Public's members only (read from the raw
    # answers: boto3's parser drops members its model does not know).
    raw = []
    ecr.meta.events.register(
        "before-parse.ecr-public.DescribeImages",
        lambda response_dict, **_: raw.append(json.loads(response_dict["body"])),
    )
    pages = list(
        ecr.get_paginator("describe_images").paginate(
            repositoryName="web", PaginationConfig={"PageSize": 100}
        )
    )
    details = [d for p in pages for d in p["imageDetails"]]
    check("images in pages of 100", [len(p["imageDetails"]) for p in pages] == [100, 100, 53])
    check("every image once", sorted(d["imageDigest"] for d in details) == sorted(digests))
    members = set(ecr.meta.service_model.shape_for("ImageDetail").members)
    answered = [d for page in raw for d in page["imageDetails"]]
    check(
        "no member ECR Public lacks",
        len(answered) == 253 and all(set(d) <= members for d in answered),
        answered[:1],
    )
    check(
        "push times as seeded",
        details[0]["imagePushedAt"].timestamp() == 1700000000,
        details[0]["imagePushedAt"],
    )
    one = ecr.describe_images(repositoryName="web", maxResults=1000)
    check("1000 a page", len(one["imageDetails"]) == 253 and "nextToken" not in one)
    check(
        "more than 1000 a page is refused",
        error_code(lambda: ecr.describe_images(repositoryName="web", maxResults=1001))
        == "InvalidParameterException",
    )

    # BatchDeleteImage: at most 100 ids.
    ids = [{"imageDigest": d} for d in digests[:101]]
    check(
        "101 ids are refused",
        error_code(lambda: ecr.batch_delete_image(repositoryName="web", imageIds=ids))
        == "InvalidParameterException",
    )
    out = ecr.batch_delete_image(repositoryName="web", imageIds=ids[:100])
    check(
        "100 ids are deleted",
        len(out["imageIds"]) == 100 and out["failures"] == [],
        out["failures"],
    )
    left = ecr.describe_images(repositoryName="web", maxResults=1000)["imageDetails"]
    check("and are gone", len(left) == 153)

    # By tag: the image keeps its other tags; the last tag takes the image with it.
    two_tags = digests[250]
    out = ecr.batch_delete_image(repositoryName="web", imageIds=[{"imageTag": "a"}])
    check(
        "a tag removed",
        out["imageIds"] == [{"imageDigest": two_tags, "imageTag": "a"}],
        out,
    )
    got = ecr.describe_images(repositoryName="web", imageIds=[{"imageDigest": two_tags}])
    check("the image stays with its other tag", got["imageDetails"][0]["imageTags"] == ["b"])
    ecr.batch_delete_image(repositoryName="web", imageIds=[{"imageTag": "b"}])
    check(
        "the last tag removed deletes the image",
        error_code(
            lambda: ecr.describe_images(
                repositoryName="web", imageIds=[{"imageDigest": two_tags}]
            )
        )
        == "ImageNotFoundException",
    )
    # By digest: every tag reported; untagged images by digest alone.
    out = ecr.batch_delete_image(
        repositoryName="web",
        imageIds=[{"imageDigest": digests[252]}, {"imageDigest": digests[251]}],
    )
    check(
        "by digest",
        out["imageIds"]
        == [{"imageDigest": digests[252], "imageTag": "c"}, {"imageDigest": digests[251]}],
        out,
    )

    # failures[]: each entry with its id, code and reason; the rest of the call succeeds.
    missing = "sha256:" + "0" * 64
    out = ecr.batch_delete_image(
        repositoryName="web",
        imageIds=[
            {"imageDigest": missing},
            {"imageDigest": "sha256:xyz"},
            {"imageTag": "nope"},
            {"imageDigest": digests[100]},
        ],
    )
    check(
        "failures[] per id",
        [(f["imageId"], f["failureCode"]) for f in out["failures"]]
        == [
            ({"imageDigest": missing}, "ImageNotFound"),
            ({"imageDigest": "sha256:xyz"}, "InvalidImageDigest"),
            ({"imageTag": "nope"}, "ImageNotFound"),
        ]
        and all(f["failureReason"] for f in out["failures"])
        and out["imageIds"] == [{"imageDigest": digests[100], "imageTag": "v100"}],
        out,
    )
    codes = set(ecr.meta.service_model.shape_for("ImageFailureCode").enum)
    check("failure codes are the model's", {"ImageNotFound", "InvalidImageDigest"} <= codes)

    # us-east-1 only.
    check(
        "another region is refused",
        error_code(lambda: s.client("eu-west-1").describe_repositories())
        == "InvalidSignatureException",
    )
    check(
        "an operation the stand-in lacks is a 400",
        error_code(lambda: ecr.describe_registries()) == "UnsupportedOperationException",
    )

    # Faults, for ecr-public calls only, and the call log.
    s.post("/_stand_in/calls", None, method="DELETE")
    s.post(
        "/_stand_in/faults",
        {"operation": "DescribeImages", "service": "ecr-public", "count": 2, "status": 400,
         "code": "ThrottlingException"},
    )
    s.post("/_stand_in/faults", {"operation": "DescribeImages", "service": "ecr", "count": 5,
                                 "status": 500})
    got = ecr.describe_images(repositoryName="team/api")
    check("throttling is retried by the SDK", got["imageDetails"] == [])
    s.post(
        "/_stand_in/faults",
        {"operation": "BatchDeleteImage", "service": "ecr-public",
         "partialFailures": [digests[101]], "failureCode": "KmsError"},
    )
    out = ecr.batch_delete_image(
        repositoryName="web",
        imageIds=[{"imageDigest": digests[101]}, {"imageDigest": digests[102]}],
    )
    check(
        "an injected failure is reported and the image kept",
        [(f["imageId"]["imageDigest"], f["failureCode"]) for f in out["failures"]]
        == [(digests[101], "KmsError")]
        and [i["imageDigest"] for i in out["imageIds"]] == [digests[102]],
        out,
    )
    s.post(
        "/_stand_in/faults",
        {"operation": "BatchDeleteImage", "service": "ecr-public", "count": 9, "status": 503},
    )
    check(
        "a 5xx storm outlasts the retries",
        error_code(
            lambda: ecr.batch_delete_image(
                repositoryName="web", imageIds=[{"imageDigest": digests[103]}]
            )
        )
        == "ServiceUnavailableException",
    )
    s.post("/_stand_in/faults", None, method="DELETE")
    calls = s.post("/_stand_in/calls", None, method="GET")["calls"]
    check(
        "the call log names the service, operation, repository, status and ids",
        [(c["service"], c["operation"], c["repositoryName"], c["status"], c["ids"]) for c in calls]
        == [("ecr-public", "DescribeImages", "team/api", 400, 0)] * 2
        + [("ecr-public", "DescribeImages", "team/api", 200, 0)]
        + [("ecr-public", "BatchDeleteImage", "web", 200, 2)]
        # botocore's max_attempts counts retries: 1 + 3 attempts.
        + [("ecr-public", "BatchDeleteImage", "web", 503, 1)] * 4,
        calls,
    )
    check(
        "and the ECR fault was left for ECR",
        ecr.describe_images(repositoryName="web", imageIds=[{"imageDigest": digests[103]}])[
            "imageDetails"
        ][0]["imageDigest"]
        == digests[103],
    )


if __name__ == "__main__":
    main()
