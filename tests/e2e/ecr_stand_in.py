#!/usr/bin/env python3
"""A local Amazon ECR API for the end-to-end tests: moto's server, in-process, on 127.0.0.1.

moto (pinned in requirements.txt) stores repositories, images and policies; this launcher wraps
its WSGI app and answers the image operations itself, from moto's stored objects, wherever moto
and ECR differ: pagination, filters, the 100-id limit, image indexes and referrers, tags moved
by PutImage, archived images, error codes, and the fields DescribeImages returns, and tag
removal by BatchDeleteImage with a digest and a tag (moto 5.2.5 deletes the whole image when they
match and answers ImageNotFound when the tag names another image; ECR removes the tag only, and
answers ImageTagDoesNotMatchDigest). Everything
else goes to moto; what moto lacks answers a 400 UnsupportedOperationException. ECR Public
(JSON 1.1, target prefix SpencerFrontendService, no moto backend) is served here entirely:
DescribeRepositories, DescribeImages and BatchDeleteImage, with the shapes and limits of
botocore's ecr-public service model.

    .venv/bin/python tests/e2e/ecr_stand_in.py [--port N]

prints `listening on http://127.0.0.1:PORT` once and serves until SIGTERM/SIGINT or until its
standard input closes (so a crashed test never leaves it running; --ignore-stdin turns that off).
Account 123456789012, any region (the test endpoints take an optional "region", default
us-east-1, and "account"). Credentials from STS AssumeRole (moto's) act in the role's account,
so several accounts can be served at once.

Test endpoints on the same port, JSON in and out (a bad request answers 400 {"error": ...}):
  POST /_stand_in/seed  {"repositories": [{"name": "web", "lifecyclePolicy": {...} | null,
        "images": [{"tags": ["v1"], "pushedAt": "2025-01-31T12:00:00Z", "lastPulledAt": null,
                    "sizeInBytes": 1234, "children": [0, 2], "subject": 3, "artifactType": "...",
                    "status": "ACTIVE" | "ARCHIVED", "lastArchivedAt": "..."}]}]}
        Bulk-loads straight into the backend (repositories are created if missing). `children`
        (earlier images' positions) makes an OCI index, `subject` an OCI artifact manifest
        referring to that image, anything else an OCI image manifest. Digests are sha256 of
        the manifest, unique per image, deterministic for the same sequence of seeds.
        -> {"repositories": [{"name": "web", "digests": ["sha256:...", ...]}]} in input order.
        With "registry": "ecr-public" (and optionally "alias"), the repositories are ECR Public's
        (us-east-1 only, no lifecycle policies; pull times, status and subject are stored but
        not served, as ECR Public's DescribeImages has no such members).
  POST /_stand_in/update  {"repository": "web", "digest": "sha256:...", "pushedAt": ...,
        "lastPulledAt": ..., "tags": [...], "status": ..., "sizeInBytes": ...,
        "registry": "ecr-public"}  (each optional;
        tags replace the image's tags and move from other images) -> the image's ImageDetail
  POST /_stand_in/consumers  {"ecsServices": [{"cluster": "prod", "service": "web",
        "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1", "laterRevisions": 6}],
        "ecsTasks": [{"cluster": "prod", "family": "batch", "image": "…", "imageDigest": "sha256:…"}],
        "ecsTaskDefinitions": [{"family": "cron", "image": "…"}],
        "lambdaFunctions": [{"name": "api", "imageUri": "…", "publish": true}]}
        ECS and Lambda resources (moto's) that use images; a function's ResolvedImageUri is the
        digest its URI names when it is created, as Lambda pins it at deployment.
  POST /_stand_in/lifecycle  {"repository": "web", "policy": {...} | "text" | null}
  POST /_stand_in/faults  {"operation": "BatchDeleteImage" | "*", "count": 2, "status": 400,
        "code": "ThrottlingException", "message": "Rate exceeded", "delayMs": 50,
        "partialFailures": ["sha256:..."], "failureCode": "InternalError", "service": "ecr-public"}
        The next `count` (default 1) calls of the operation are delayed by delayMs, then fail
        with status/code (a status alone: ServerException or ServiceUnavailableException);
        with neither they are answered normally, except that BatchDeleteImage reports the
        partialFailures digests in failures[] and keeps them. With "service" ("ecr" or
        "ecr-public") only that API's calls are affected.
  DELETE /_stand_in/faults
  GET  /_stand_in/calls  -> {"calls": [{"service": "ecr", "operation": "DescribeImages", "repositoryName": "web",
        "status": 200, "maxResults": 1000, "ids": 0}, ...]}  every API call, faults included
  DELETE /_stand_in/calls
  GET  /_stand_in/health -> {"ok": true}
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import itertools
import json
import os
import re
import signal
import sys
import threading
import time
import traceback
import uuid
from datetime import datetime, timezone
from http import HTTPStatus

from moto.awslambda import models as lambda_models
from moto.awslambda.models import lambda_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ecr.models import Image, ecr_backends
from moto.ecs.models import ecs_backends
from moto.iam.models import get_account_id_from, iam_backends
from moto.s3.models import s3_backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server
from werkzeug.wrappers import Request

ACCOUNT = DEFAULT_ACCOUNT_ID
ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921."
PUBLIC_TARGET = "SpencerFrontendService."  # ECR Public's JSON 1.1 target prefix
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DEFAULT_ARTIFACT_TYPE = "application/vnd.cncf.notary.signature"
DIGEST_RE = re.compile(r"^[0-9a-zA-Z_+.-]+:[0-9a-fA-F]{64}$")
PLATFORMS = ["amd64", "arm64", "arm", "386", "ppc64le", "s390x"]

# One lock for every read or write of the backend: moto's models are not thread-safe and the
# server runs a thread per connection. Injected delays are slept outside it.
STATE = threading.RLock()
SEQ = itertools.count(1)  # makes every seeded manifest, hence every digest, unique


class EcrError(Exception):
    """An error answered in ECR's JSON error format."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def invalid(message: str) -> EcrError:
    return EcrError("InvalidParameterException", message)


# ---------------------------------------------------------------- stored images and times


def now() -> float:
    return time.time()


def parse_time(value) -> float | None:
    """ISO 8601 (`2025-01-31T12:00:00Z`) or epoch seconds; None stays None."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    t = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.timestamp()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


def backend(region: str, account: str = ACCOUNT):
    return ecr_backends[account][region]


def get_repo(be, name):
    repo = be.repositories.get(name or "")
    if repo is None:
        raise EcrError(
            "RepositoryNotFoundException",
            f"The repository with name '{name}' does not exist in the registry with id '{be.account_id}'",
        )
    return repo


def ensure_repo(be, name):
    if name not in be.repositories:
        be.create_repository(name, None, None, None, None, [])
    return be.repositories[name]


def new_image(repo, manifest: str, media_type: str, digest: str, meta: dict):
    """A moto Image with the extra state ECR keeps (moto's own fields stay consistent, so its
    remaining operations, e.g. DeleteRepository with force, keep working)."""
    img = Image(repo.registry_id, None, manifest, repo.name, media_type, digest)
    img.image_tags = []
    img.image_tag = None
    img.image_pushed_at = now()
    img.last_recorded_pull_time = None
    img.image_status = "ACTIVE"
    img.last_archived_at = None
    img.last_activated_at = None
    img.size = meta.get("size", 0)
    img.children = tuple(meta.get("children", ()))
    img.subject_manifest_digest = meta.get("subject")
    img.artifact_media_type = meta.get("artifactType")
    repo.images.append(img)
    return img


def manifest_meta(manifest: dict) -> dict:
    """What ECR derives from a pushed manifest: children, subject, artifact type, size."""
    meta = {
        "children": [
            m.get("digest") for m in manifest.get("manifests") or [] if isinstance(m, dict)
        ],
        "subject": (manifest.get("subject") or {}).get("digest"),
        "artifactType": manifest.get("artifactType")
        or (manifest.get("config") or {}).get("mediaType"),
        "size": sum(int(layer.get("size") or 0) for layer in manifest.get("layers") or []),
    }
    return meta


def tag_holders(repo) -> dict:
    return {t: img for img in repo.images for t in img.image_tags}


def set_tags(repo, img, tags, holders=None) -> None:
    """Give `img` exactly `tags`; a tag held by another image moves (that image may become
    untagged, never deleted, as in ECR). `holders` (tag -> image) is kept up to date."""
    holders = tag_holders(repo) if holders is None else holders
    wanted = list(dict.fromkeys(tags))
    for t in img.image_tags:
        if t not in wanted:
            holders.pop(t, None)
    for t in wanted:
        other = holders.get(t)
        if other is not None and other is not img and t in other.image_tags:
            other.image_tags.remove(t)
            other.image_tag = other.image_tags[-1] if other.image_tags else None
        holders[t] = img
    img.image_tags = wanted
    img.image_tag = wanted[-1] if wanted else None


def set_policy(repo, policy) -> None:
    """A policy object is stored as JSON text, a string verbatim, None removes it."""
    if policy is None:
        repo.lifecycle_policy = None
    else:
        repo.lifecycle_policy = policy if isinstance(policy, str) else dumps(policy)


def apply_edits(repo, img, spec: dict, holders=None) -> None:
    """Fields shared by /seed and /update."""
    if "pushedAt" in spec:
        img.image_pushed_at = parse_time(spec["pushedAt"]) or now()
    if "lastPulledAt" in spec:
        img.last_recorded_pull_time = parse_time(spec["lastPulledAt"])
    if "sizeInBytes" in spec:
        img.size = int(spec["sizeInBytes"])
    if "tags" in spec:
        set_tags(repo, img, spec["tags"] or [], holders)
    if "status" in spec and spec["status"]:
        img.image_status = spec["status"]
        if img.image_status == "ARCHIVED" and img.last_archived_at is None:
            img.last_archived_at = now()
    if "lastArchivedAt" in spec:
        img.last_archived_at = parse_time(spec["lastArchivedAt"])
    if "lastActivatedAt" in spec:
        img.last_activated_at = parse_time(spec["lastActivatedAt"])


def image_size(img, by_digest, depth=0) -> int:
    """ECR reports an index's size as its largest child's."""
    if not img.children or depth > 8:
        return img.size
    sizes = [image_size(by_digest[d], by_digest, depth + 1) for d in img.children if d in by_digest]
    return max(sizes, default=0)


def image_detail(repo, img, by_digest) -> dict:
    d = reply(
        repo,
        imageDigest=img.image_digest,
        imageSizeInBytes=image_size(img, by_digest),
        imagePushedAt=round(img.image_pushed_at, 3),
        imageManifestMediaType=img.image_manifest_media_type,
        imageStatus=img.image_status,
    )
    if img.image_tags:  # ECR omits the member for untagged images
        d["imageTags"] = list(img.image_tags)
    optional = {
        "artifactMediaType": img.artifact_media_type,
        "subjectManifestDigest": img.subject_manifest_digest,
        "lastRecordedPullTime": img.last_recorded_pull_time,
        "lastArchivedAt": img.last_archived_at,
        "lastActivatedAt": img.last_activated_at,
    }
    for key, value in optional.items():
        if value is not None:
            d[key] = round(value, 3) if isinstance(value, float) else value
    return d


# ---------------------------------------------------------------- ECR operations


def check_ids(ids, name="imageIds", limit=100):
    if not isinstance(ids, list) or len(ids) < 1:
        raise invalid(
            f"Invalid parameter at '{name}' failed to satisfy constraint: "
            "'Member must have length greater than or equal to 1'"
        )
    if len(ids) > limit:
        raise invalid(
            f"Invalid parameter at '{name}' failed to satisfy constraint: "
            f"'Member must have length less than or equal to {limit}'"
        )
    return ids


def no_paging_with(p: dict, member: str) -> None:
    if p.get(member) and ("maxResults" in p or "nextToken" in p):
        raise invalid(f"maxResults and nextToken cannot be used together with {member}")


def paginate(items: list, p: dict, key: str, ident) -> dict:
    """ECR's pagination: at most maxResults (1..1000, default 100) and an opaque nextToken.
    The token names the last item served, so deleting items between pages skips nothing."""
    limit = p.get("maxResults", 100)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1000:
        raise invalid(
            "Invalid parameter at 'maxResults' failed to satisfy constraint: "
            "'Member must have value between 1 and 1000'"
        )
    start = 0
    if p.get("nextToken"):
        try:
            token = json.loads(base64.urlsafe_b64decode(p["nextToken"]))
            start = int(token["offset"])
        except Exception:
            raise invalid(
                "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid token'"
            )
        after = [n for n, item in enumerate(items) if ident(item) == token.get("after")]
        start = after[0] + 1 if after else min(start, len(items))
    page = items[start : start + limit]
    out = {key: page}
    if start + limit < len(items):
        token = {"after": ident(page[-1]), "offset": start + limit}
        out["nextToken"] = base64.urlsafe_b64encode(dumps(token).encode()).decode()
    return out


def image_filter(p: dict):
    f = p.get("filter") or {}
    tag_status = f.get("tagStatus", "ANY")
    status = f.get("imageStatus")
    if tag_status not in ("ANY", "TAGGED", "UNTAGGED"):
        raise invalid(
            f"Invalid parameter at 'filter.tagStatus' failed to satisfy constraint: '{tag_status}'"
        )
    if status not in (None, "ANY", "ACTIVE", "ARCHIVED", "ACTIVATING"):
        raise invalid(
            f"Invalid parameter at 'filter.imageStatus' failed to satisfy constraint: '{status}'"
        )

    def keep(img) -> bool:
        if tag_status == "TAGGED" and not img.image_tags:
            return False
        if tag_status == "UNTAGGED" and img.image_tags:
            return False
        if status is None:  # ECR hides archived images unless asked
            return img.image_status != "ARCHIVED"
        return status == "ANY" or img.image_status == status

    return keep


def find_image(repo, image_id: dict, by_digest):
    digest, tag = image_id.get("imageDigest"), image_id.get("imageTag")
    if digest:
        img = by_digest.get(digest)
        if img is not None and (not tag or tag in img.image_tags):
            return img
        return None
    if tag:
        return next((i for i in repo.images if tag in i.image_tags), None)
    return None


def image_not_found(repo, image_id: dict) -> EcrError:
    rep = f"{{imageDigest:'{image_id.get('imageDigest', 'null')}', imageTag:'{image_id.get('imageTag', 'null')}'}}"
    return EcrError(
        "ImageNotFoundException",
        f"The image with imageId {rep} does not exist within the repository with name "
        f"'{repo.name}' in the registry with id '{repo.registry_id}'",
    )


def digests_of(repo) -> dict:
    return {img.image_digest: img for img in repo.images}


def reply(repo, **fields) -> dict:
    return {"registryId": repo.registry_id, "repositoryName": repo.name, **fields}


def op_describe_repositories(be, p, fault):
    names = p.get("repositoryNames")
    no_paging_with(p, "repositoryNames")
    if names:
        repos = [get_repo(be, n) for n in names]
    else:
        repos = list(be.repositories.values())
    page = paginate(repos, p, "repositories", lambda r: r.name)
    page["repositories"] = [
        {
            "repositoryArn": r.arn,
            "registryId": r.registry_id,
            "repositoryName": r.name,
            "repositoryUri": r.uri,
            "createdAt": r.created_at.replace(
                tzinfo=r.created_at.tzinfo or timezone.utc
            ).timestamp(),
            "imageTagMutability": str(
                getattr(r.image_tag_mutability, "value", r.image_tag_mutability)
            ),
            "imageScanningConfiguration": r.image_scanning_configuration,
            "encryptionConfiguration": r.encryption_configuration,
        }
        for r in page["repositories"]
    ]
    return page


def op_describe_images(be, p, fault):
    repo = get_repo(be, p.get("repositoryName"))
    by_digest = digests_of(repo)
    if p.get("imageIds"):
        no_paging_with(p, "imageIds")
        found = []
        for image_id in check_ids(p["imageIds"]):
            img = find_image(repo, image_id, by_digest)
            if img is None:
                raise image_not_found(repo, image_id)
            if img not in found:
                found.append(img)
        return {"imageDetails": [image_detail(repo, i, by_digest) for i in found]}
    keep = image_filter(p)
    page = paginate(
        [i for i in repo.images if keep(i)], p, "imageDetails", lambda i: i.image_digest
    )
    page["imageDetails"] = [image_detail(repo, i, by_digest) for i in page["imageDetails"]]
    return page


def op_list_images(be, p, fault):
    repo = get_repo(be, p.get("repositoryName"))
    keep = image_filter(p)
    ids = []
    for img in repo.images:
        if keep(img):
            ids += [{"imageDigest": img.image_digest, "imageTag": t} for t in img.image_tags] or [
                {"imageDigest": img.image_digest}
            ]
    return paginate(ids, p, "imageIds", lambda i: f"{i['imageDigest']} {i.get('imageTag')}")


def op_batch_get_image(be, p, fault):
    # acceptedMediaTypes is not checked: every manifest is returned as stored.
    repo = get_repo(be, p.get("repositoryName"))
    by_digest = digests_of(repo)
    images, failures = [], []
    for image_id in check_ids(p.get("imageIds")):
        img = find_image(repo, image_id, by_digest)
        if img is None:
            failures.append(
                {
                    "imageId": image_id,
                    "failureCode": "ImageNotFound",
                    "failureReason": "Requested image not found",
                }
            )
            continue
        ident = {"imageDigest": img.image_digest}
        if image_id.get("imageTag"):
            ident["imageTag"] = image_id["imageTag"]
        images.append(
            reply(
                repo,
                imageId=ident,
                imageManifest=img.image_manifest,
                imageManifestMediaType=img.image_manifest_media_type,
            )
        )
    return {"images": images, "failures": failures}


def op_batch_delete_image(be, p, fault):
    repo = get_repo(be, p.get("repositoryName"))
    by_digest = digests_of(repo)
    injected = set((fault or {}).get("partialFailures") or [])
    injected_code = (fault or {}).get("failureCode") or "InternalError"
    failures, doomed, untag = [], {}, []  # doomed: digest -> request id, in request order

    def fail(image_id, code, reason):
        failures.append({"imageId": image_id, "failureCode": code, "failureReason": reason})

    for image_id in check_ids(p.get("imageIds")):
        digest, tag = image_id.get("imageDigest"), image_id.get("imageTag")
        if not digest and not tag:
            fail(
                {},
                "MissingDigestAndTag",
                "Invalid request parameters: both tag and digest cannot be null",
            )
            continue
        if digest and not DIGEST_RE.match(digest):
            fail(
                image_id,
                "InvalidImageDigest",
                "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
            )
            continue
        img = find_image(repo, image_id, by_digest)
        if img is None and digest and tag and any(tag in i.image_tags for i in repo.images):
            # A digest with a tag removes the tag only while it names that image; moto answers
            # ImageNotFound here (and, when they match, deletes the whole image). The reason
            # text is ours: the code is ECR's.
            fail(
                image_id,
                "ImageTagDoesNotMatchDigest",
                "Invalid request parameters: the tag does not name the given digest",
            )
        elif img is None:
            fail(image_id, "ImageNotFound", "Requested image not found")
        elif img.image_digest in injected:
            fail(image_id, injected_code, "Injected failure")
        elif (digest and not tag) or len(img.image_tags) <= 1:
            # A digest alone deletes the image; removing the last tag deletes it too.
            doomed.setdefault(img.image_digest, image_id)
        else:
            untag.append((img, tag))

    # A child stays while an index that is not deleted in this call lists it (to a fixed point:
    # a refused index keeps protecting its own children).
    changed = True
    while changed:
        changed = False
        for img in repo.images:
            if img.image_digest in doomed or not img.children:
                continue
            for child in img.children:
                if child in doomed:
                    fail(
                        doomed.pop(child),
                        "ImageReferencedByManifestList",
                        f"Requested image referenced by manifest list: [{img.image_digest}]",
                    )
                    changed = True

    deleted, emptied = [], set()
    for img, tag in untag:
        if tag in img.image_tags:
            img.image_tags.remove(tag)
            img.image_tag = img.image_tags[-1] if img.image_tags else None
            deleted.append({"imageDigest": img.image_digest, "imageTag": tag})
            if not img.image_tags:  # several ids of one call took its last tag
                emptied.add(img.image_digest)
    for digest in doomed:
        img = by_digest[digest]
        deleted += [{"imageDigest": digest, "imageTag": t} for t in img.image_tags] or [
            {"imageDigest": digest}
        ]

    # Referrers go with their subject, transitively (ECR does this without reporting them).
    gone = set(doomed) | emptied
    while True:
        more = {i.image_digest for i in repo.images if i.subject_manifest_digest in gone} - gone
        if not more:
            break
        gone |= more
    if gone:
        repo.images[:] = [i for i in repo.images if i.image_digest not in gone]
    return {"imageIds": deleted, "failures": failures}


def op_put_image(be, p, fault):
    repo = get_repo(be, p.get("repositoryName"))
    text = p.get("imageManifest")
    if not isinstance(text, str) or not text:
        raise invalid(
            "Invalid parameter at 'imageManifest' failed to satisfy constraint: 'Member must not be null'"
        )
    try:
        manifest = json.loads(text)
        assert isinstance(manifest, dict)
    except Exception:
        raise invalid(
            "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'"
        )
    media_type = p.get("imageManifestMediaType") or manifest.get("mediaType")
    if not media_type:
        raise invalid(
            "Invalid parameter at 'imageManifestMediaType': the manifest has no mediaType and none was given"
        )
    digest = sha256(text.encode())
    if p.get("imageDigest") and p["imageDigest"] != digest:
        raise EcrError(
            "ImageDigestDoesNotMatchException",
            f"Invalid parameter at 'imageDigest' failed to satisfy constraint: "
            f"the digest {p['imageDigest']} does not match the digest {digest} calculated for the manifest",
        )
    tag = p.get("imageTag")
    by_digest = digests_of(repo)
    img = by_digest.get(digest)
    if img is not None and (not tag or tag in img.image_tags):
        raise EcrError(
            "ImageAlreadyExistsException",
            f"Image with digest '{digest}' and tag '{tag or 'null'}' already exists in the repository "
            f"with name '{repo.name}' in registry with id '{repo.registry_id}'",
        )
    holder = next((i for i in repo.images if tag and tag in i.image_tags), None)
    if holder is not None and repo.is_tag_immutable():
        raise EcrError(
            "ImageTagAlreadyExistsException",
            f"The image tag '{tag}' already exists in the '{repo.name}' repository and cannot be "
            "overwritten because the repository is immutable.",
        )
    meta = manifest_meta(manifest)
    missing = [c for c in meta["children"] if c not in by_digest]
    if missing:
        raise EcrError(
            "ReferencedImagesNotFoundException",
            f"Some of the images referenced by the manifest list are missing from the repository: {missing}",
        )
    if img is None:
        img = new_image(repo, text, media_type, digest, meta)
    if tag:
        set_tags(repo, img, img.image_tags + [tag])
    ident = {"imageDigest": digest}
    if tag:
        ident["imageTag"] = tag
    return {
        "image": reply(repo, imageId=ident, imageManifest=text, imageManifestMediaType=media_type)
    }


def op_update_image_storage_class(be, p, fault):
    repo = get_repo(be, p.get("repositoryName"))
    image_id = p.get("imageId") or {}
    img = find_image(repo, image_id, digests_of(repo))
    if img is None:
        raise image_not_found(repo, image_id)
    target = p.get("targetStorageClass")
    if target == "ARCHIVE":
        img.image_status, img.last_archived_at = "ARCHIVED", now()
    elif target == "STANDARD":
        img.image_status, img.last_activated_at = "ACTIVE", now()
    else:
        raise invalid(
            f"Invalid parameter at 'targetStorageClass' failed to satisfy constraint: '{target}'"
        )
    return reply(repo, imageId={"imageDigest": img.image_digest}, imageStatus=img.image_status)


def policy_not_found(repo) -> EcrError:
    return EcrError(
        "LifecyclePolicyNotFoundException",
        f"Lifecycle policy does not exist for the repository with name '{repo.name}' in the registry with id '{repo.registry_id}'",
    )


def op_get_lifecycle_policy(be, p, fault):
    repo = get_repo(be, p.get("repositoryName"))
    if not repo.lifecycle_policy:
        raise policy_not_found(repo)
    return reply(repo, lifecyclePolicyText=repo.lifecycle_policy)


def op_put_lifecycle_policy(be, p, fault):
    # Stored verbatim with no rule validation: moto's validator rejects newer fields, and the
    # tests must see the text the tool sent.
    repo = get_repo(be, p.get("repositoryName"))
    text = p.get("lifecyclePolicyText")
    try:
        json.loads(text)
    except Exception:
        raise invalid(
            "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: Could not map policyString into LifecyclePolicy.'"
        )
    if len(text) > 30720:
        raise invalid(
            "Invalid parameter at 'lifecyclePolicyText' failed to satisfy constraint: 'Member must have length less than or equal to 30720'"
        )
    repo.lifecycle_policy = text
    return reply(repo, lifecyclePolicyText=text)


def op_delete_lifecycle_policy(be, p, fault):
    repo = get_repo(be, p.get("repositoryName"))
    if not repo.lifecycle_policy:
        raise policy_not_found(repo)
    text, repo.lifecycle_policy = repo.lifecycle_policy, None
    return reply(repo, lifecyclePolicyText=text, lastEvaluatedAt=now())


OPERATIONS = {
    "DescribeRepositories": op_describe_repositories,
    "DescribeImages": op_describe_images,
    "ListImages": op_list_images,
    "BatchGetImage": op_batch_get_image,
    "BatchDeleteImage": op_batch_delete_image,
    "PutImage": op_put_image,
    "UpdateImageStorageClass": op_update_image_storage_class,
    "GetLifecyclePolicy": op_get_lifecycle_policy,
    "PutLifecyclePolicy": op_put_lifecycle_policy,
    "DeleteLifecyclePolicy": op_delete_lifecycle_policy,
}
# Every other operation goes to moto (CreateRepository and DeleteRepository are fine there).


# ---------------------------------------------------------------- ECR Public


class PublicRegistry:
    """One account's public registry: moto has no ecr-public backend, so repositories live
    here, holding the same image objects as the ECR backend (seeded, tagged and deleted by the
    same code). Shapes and limits come from botocore's ecr-public service model."""

    def __init__(self, account: str):
        self.account_id = account
        # AWS gives a new registry a random default alias; a test may set its own.
        self.alias = "e2e" + account[-5:]
        self.repositories = {}


class PublicRepository:
    def __init__(self, registry: PublicRegistry, name: str):
        self.registry = registry
        self.registry_id = registry.account_id
        self.name = name
        self.images = []
        self.created_at = now()

    @property
    def arn(self) -> str:
        return f"arn:aws:ecr-public::{self.registry_id}:repository/{self.name}"

    @property
    def uri(self) -> str:
        return f"public.ecr.aws/{self.registry.alias}/{self.name}"


PUBLIC_REGISTRIES = {}  # account -> PublicRegistry


def public_registry(account: str = ACCOUNT) -> PublicRegistry:
    if account not in PUBLIC_REGISTRIES:
        PUBLIC_REGISTRIES[account] = PublicRegistry(account)
    return PUBLIC_REGISTRIES[account]


def ensure_public_repo(reg: PublicRegistry, name: str) -> PublicRepository:
    if name not in reg.repositories:
        reg.repositories[name] = PublicRepository(reg, name)
    return reg.repositories[name]


def public_model():
    """botocore's service model of ecr-public (the version moto pins brings it)."""
    import botocore.session

    return botocore.session.get_session().get_service_model("ecr-public")


PUBLIC_MODEL = public_model()
PUBLIC_DETAIL_MEMBERS = set(PUBLIC_MODEL.shape_for("ImageDetail").members)
PUBLIC_MAX_IDS = PUBLIC_MODEL.shape_for("ImageIdentifierList").metadata["max"]


def public_image_detail(repo, img, by_digest) -> dict:
    """ECR's ImageDetail cut to ECR Public's members: no pull time, status, archive times or
    subject."""
    d = image_detail(repo, img, by_digest)
    return {k: v for k, v in d.items() if k in PUBLIC_DETAIL_MEMBERS}


def check_public_registry_id(reg: PublicRegistry, p: dict) -> None:
    rid = p.get("registryId")
    if rid is not None and rid not in (reg.account_id, reg.alias):
        raise EcrError(
            "RegistryNotFoundException",
            f"The registry with id '{rid}' does not exist",
        )


def public_op_describe_repositories(reg, p, fault):
    check_public_registry_id(reg, p)
    names = p.get("repositoryNames")
    no_paging_with(p, "repositoryNames")
    if names:
        repos = [get_repo(reg, n) for n in check_ids(names, "repositoryNames")]
    else:
        repos = sorted(reg.repositories.values(), key=lambda r: r.name)
    page = paginate(repos, p, "repositories", lambda r: r.name)
    page["repositories"] = [
        {
            "repositoryArn": r.arn,
            "registryId": r.registry_id,
            "repositoryName": r.name,
            "repositoryUri": r.uri,
            "createdAt": round(r.created_at, 3),
        }
        for r in page["repositories"]
    ]
    return page


def public_op_describe_images(reg, p, fault):
    check_public_registry_id(reg, p)
    repo = get_repo(reg, p.get("repositoryName"))
    by_digest = digests_of(repo)
    if p.get("imageIds"):
        no_paging_with(p, "imageIds")
        found = []
        for image_id in check_ids(p["imageIds"], limit=PUBLIC_MAX_IDS):
            img = find_image(repo, image_id, by_digest)
            if img is None:
                raise image_not_found(repo, image_id)
            if img not in found:
                found.append(img)
        return {"imageDetails": [public_image_detail(repo, i, by_digest) for i in found]}
    page = paginate(list(repo.images), p, "imageDetails", lambda i: i.image_digest)
    page["imageDetails"] = [public_image_detail(repo, i, by_digest) for i in page["imageDetails"]]
    return page


def public_op_batch_delete_image(reg, p, fault):
    # The same semantics as ECR's (failures[], tags vs digests, indexes and referrers); the
    # id limit is the model's.
    check_public_registry_id(reg, p)
    check_ids(p.get("imageIds"), limit=PUBLIC_MAX_IDS)
    return op_batch_delete_image(reg, p, fault)


PUBLIC_OPERATIONS = {
    "DescribeRepositories": public_op_describe_repositories,
    "DescribeImages": public_op_describe_images,
    "BatchDeleteImage": public_op_batch_delete_image,
}


# ---------------------------------------------------------------- seeding (straight into moto)


def seed_images(repo, specs: list) -> list:
    made, holders = [], tag_holders(repo)
    for n, spec in enumerate(specs):
        seq = next(SEQ)

        def earlier(k):
            if not isinstance(k, int) or not 0 <= k < n:
                raise ValueError(f"{repo.name} image {n}: {k} is not the index of an earlier image")
            return made[k]

        def descriptor(img):
            return {
                "mediaType": img.image_manifest_media_type,
                "digest": img.image_digest,
                "size": len(img.image_manifest.encode()),
            }

        size = int(spec.get("sizeInBytes", 1024))
        meta = {"size": size}
        layer = {
            "mediaType": OCI_LAYER,
            "digest": sha256(f"layer {repo.name} {seq}".encode()),
            "size": size,
        }
        if spec.get("children") is not None:
            kids = [earlier(k) for k in spec["children"]]
            manifest = {
                "schemaVersion": 2,
                "mediaType": OCI_INDEX,
                "manifests": [
                    dict(
                        descriptor(k),
                        platform={"architecture": PLATFORMS[j % len(PLATFORMS)], "os": "linux"},
                    )
                    for j, k in enumerate(kids)
                ],
                "annotations": {"org.example.stand-in.seq": str(seq)},
            }
            meta["children"] = [k.image_digest for k in kids]
        elif spec.get("subject") is not None:
            subject = earlier(spec["subject"])
            artifact_type = spec.get("artifactType", DEFAULT_ARTIFACT_TYPE)
            manifest = {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "artifactType": artifact_type,
                "config": {"mediaType": OCI_EMPTY, "digest": sha256(b"{}"), "size": 2},
                "layers": [layer],
                "subject": descriptor(subject),
                "annotations": {"org.example.stand-in.seq": str(seq)},
            }
            meta.update(subject=subject.image_digest, artifactType=artifact_type)
        else:
            config = f"config {repo.name} {seq}".encode()
            manifest = {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": sha256(config), "size": len(config)},
                "layers": [layer],
            }
            meta["artifactType"] = OCI_CONFIG
        text = dumps(manifest)
        img = new_image(repo, text, manifest["mediaType"], sha256(text.encode()), meta)
        apply_edits(repo, img, {k: v for k, v in spec.items() if k != "sizeInBytes"}, holders)
        made.append(img)
    return [i.image_digest for i in made]


# ---------------------------------------------------------------- faults and the call log


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.pending = []  # dicts with a remaining "count", first match wins

    def add(self, spec: dict) -> None:
        if not spec.get("operation"):
            raise ValueError("a fault needs an operation")
        with self.lock:
            if int(spec.get("count", 1)) > 0:
                self.pending.append(dict(spec, count=int(spec.get("count", 1))))

    def clear(self) -> None:
        with self.lock:
            self.pending.clear()

    def take(self, operation: str, service: str = "ecr") -> dict | None:
        with self.lock:
            for f in self.pending:
                if (
                    f["operation"] in (operation, "*")
                    and f.get("service", service) == service
                    and f["count"] > 0
                ):
                    f["count"] -= 1
                    if f["count"] == 0:
                        self.pending.remove(f)
                    return f
        return None


def fault_error(f: dict) -> EcrError | None:
    """An injected error, or None for a fault that only delays or fails some digests."""
    status = f.get("status")
    if not f.get("code") and status is None:
        return None
    status = int(status or 400)
    code = f.get("code") or {500: "ServerException", 503: "ServiceUnavailableException"}.get(
        status, "ServerException" if status >= 500 else "ValidationException"
    )
    return EcrError(code, f.get("message") or f"Injected {code}", status)


# ---------------------------------------------------------------- WSGI


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Status"


def respond(start_response, status: int, payload, headers=(), content_type=None) -> list:
    body = payload if isinstance(payload, bytes) else dumps(payload).encode()
    start_response(
        status_line(status),
        [
            ("Content-Type", content_type or "application/x-amz-json-1.1"),
            ("Content-Length", str(len(body))),
            *headers,
        ],
    )
    return [body]


def error_body(e: EcrError) -> tuple:
    return e.status, {"__type": e.code, "message": e.message}, [("x-amzn-ErrorType", e.code)]


def request_id() -> tuple:
    return ("x-amzn-RequestId", str(uuid.uuid4()))


class StandIn:
    def __init__(self):
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.faults = Faults()
        self.calls = []
        self.calls_lock = threading.Lock()

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_data()
        # Handed on to moto, the body must be readable again.
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        if request.path.startswith("/_stand_in/"):
            return self.test_endpoint(request, body, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            return self.api_call(environ, target, body, start_response)
        return self.moto(environ, start_response)

    # ---- the AWS API

    def api_call(self, environ, target: str, body: bytes, start_response):
        operation = target.rsplit(".", 1)[-1]
        try:
            params = json.loads(body or b"{}")
            if not isinstance(params, dict):
                params = {}
        except ValueError:
            params = {}
        m = re.search(
            r"Credential=([^/,]+)/\d+/([^/,]+)/", environ.get("HTTP_AUTHORIZATION", "")
        )
        region = m.group(2) if m else "us-east-1"
        # Credentials from an assumed role act in the role's account, as moto records them.
        account = get_account_id_from(m.group(1)) if m else ACCOUNT

        service = "ecr-public" if target.startswith(PUBLIC_TARGET) else "ecr"
        fault = self.faults.take(operation, service)
        if fault and fault.get("delayMs"):
            time.sleep(int(fault["delayMs"]) / 1000)
        injected = fault_error(fault) if fault else None
        if injected:
            status, payload, headers = error_body(injected)
            headers.append(request_id())
        elif service == "ecr-public":
            status, payload, headers = self.public_call(operation, region, account, params, fault)
        elif target.startswith(ECR_TARGET) and operation in OPERATIONS:
            try:
                with STATE:
                    payload = OPERATIONS[operation](backend(region, account), params, fault)
                status, headers = 200, [request_id()]
            except EcrError as e:
                status, payload, headers = error_body(e)
                headers.append(request_id())
            except Exception as e:  # a fault in this file: loud, and a 4xx so nothing retries
                traceback.print_exc()
                status, payload, headers = error_body(
                    EcrError("StandInError", f"ecr stand-in failed on {operation}: {e!r}")
                )
        else:
            status, payload, headers = self.pass_to_moto(environ, target)
        content_type = dict((k.lower(), v) for k, v in headers).get("content-type")
        headers = [(k, v) for k, v in headers if k.lower() != "content-type"]

        ids = params.get("imageIds")
        with self.calls_lock:
            self.calls.append(
                {
                    "service": service,
                    "operation": operation,
                    "repositoryName": params.get("repositoryName"),
                    "status": status,
                    "maxResults": params.get("maxResults"),
                    "ids": len(ids) if isinstance(ids, list) else 0,
                }
            )
        return respond(start_response, status, payload, headers, content_type)

    def public_call(self, operation: str, region: str, account: str, params: dict, fault):
        """An ecr-public call: served here, as moto has no backend for it."""
        try:
            if region != "us-east-1":
                # The API lives in us-east-1 only; AWS refuses a signature scoped elsewhere.
                raise EcrError(
                    "InvalidSignatureException",
                    f"Credential should be scoped to a valid region, not '{region}'.",
                )
            if operation not in PUBLIC_MODEL.operation_names:
                raise EcrError(
                    "UnknownOperationException", f"Unknown operation {operation}", 400
                )
            if operation not in PUBLIC_OPERATIONS:
                raise EcrError(
                    "UnsupportedOperationException",
                    f"ecr stand-in: ecr-public {operation} is not implemented",
                )
            with STATE:
                payload = PUBLIC_OPERATIONS[operation](public_registry(account), params, fault)
            return 200, payload, [request_id()]
        except EcrError as e:
            status, payload, headers = error_body(e)
            return status, payload, headers + [request_id()]
        except Exception as e:  # a fault in this file: loud, and a 4xx so nothing retries
            traceback.print_exc()
            status, payload, headers = error_body(
                EcrError("StandInError", f"ecr-public stand-in failed on {operation}: {e!r}")
            )
            return status, payload, headers + [request_id()]

    def pass_to_moto(self, environ, target: str):
        got, ecr = {}, target.startswith(ECR_TARGET)

        def start(status, headers, exc_info=None):
            got["status"], got["headers"] = int(status.split()[0]), headers

        try:
            if ecr:
                with STATE:
                    body = b"".join(self.moto(environ, start))
            else:
                body = b"".join(self.moto(environ, start))
            problem = f"moto answered {got['status']}" if got["status"] >= 500 else None
        except Exception as e:  # moto raises for actions and services it lacks
            problem = f"{type(e).__name__}: {e}"
        if problem:
            # A 4xx, not moto's 500: SDKs would retry a 500 and the test would only see a delay.
            e = EcrError(
                "UnsupportedOperationException",
                f"ecr stand-in: {target} is not implemented ({problem})",
            )
            print(e.message, file=sys.stderr, flush=True)
            status, payload, headers = error_body(e)
            return status, payload, headers + [request_id()]
        keep = [(k, v) for k, v in got["headers"] if k.lower() != "content-length"]
        return got["status"], body, keep

    # ---- test endpoints

    def test_endpoint(self, request, body: bytes, start_response):
        route = (request.method, request.path.rstrip("/"))
        try:
            spec = json.loads(body) if body.strip() else {}
            if route == ("GET", "/_stand_in/health"):
                out = {"ok": True}
            elif route == ("POST", "/_stand_in/seed"):
                out = self.seed(spec)
            elif route == ("POST", "/_stand_in/update"):
                out = self.update(spec)
            elif route == ("POST", "/_stand_in/consumers"):
                out = self.consumers(spec)
            elif route == ("POST", "/_stand_in/lifecycle"):
                with STATE:
                    repo = get_repo(
                        backend(spec.get("region", "us-east-1"), spec.get("account", ACCOUNT)),
                        spec.get("repository"),
                    )
                    set_policy(repo, spec.get("policy"))
                out = {"ok": True}
            elif route == ("POST", "/_stand_in/s3"):
                # Objects for the tests that read policy files from S3 (moto's S3 serves them).
                s3 = s3_backends[spec.get("account", ACCOUNT)]["aws"]
                if spec["bucket"] not in s3.buckets:
                    s3.create_bucket(spec["bucket"], spec.get("region", "us-east-1"))
                for key, text in spec.get("objects", {}).items():
                    s3.put_object(spec["bucket"], key, text.encode())
                out = {"ok": True}
            elif route == ("POST", "/_stand_in/faults"):
                self.faults.add(spec)
                out = {"ok": True}
            elif route == ("DELETE", "/_stand_in/faults"):
                self.faults.clear()
                out = {"ok": True}
            elif route == ("GET", "/_stand_in/calls"):
                with self.calls_lock:
                    out = {"calls": list(self.calls)}
            elif route == ("DELETE", "/_stand_in/calls"):
                with self.calls_lock:
                    self.calls.clear()
                out = {"ok": True}
            else:
                return plain_json(
                    start_response, 404, {"error": f"no test endpoint {route[0]} {route[1]}"}
                )
        except Exception as e:  # a malformed request from a test: say what, on both channels
            message = getattr(e, "message", None) or str(e)
            print(f"ecr stand-in: {route[0]} {route[1]}: {message}", file=sys.stderr, flush=True)
            return plain_json(start_response, 400, {"error": f"{type(e).__name__}: {message}"})
        return plain_json(start_response, 200, out)

    def seed(self, spec: dict) -> dict:
        out = []
        with STATE:
            if spec.get("registry") == "ecr-public":
                be = public_registry(spec.get("account", ACCOUNT))
                if spec.get("alias"):
                    be.alias = spec["alias"]
                make = ensure_public_repo
            else:
                be = backend(spec.get("region", "us-east-1"), spec.get("account", ACCOUNT))
                make = ensure_repo
            for r in spec.get("repositories", []):
                repo = make(be, r["name"])
                if "lifecyclePolicy" in r:
                    set_policy(repo, r["lifecyclePolicy"])
                out.append({"name": repo.name, "digests": seed_images(repo, r.get("images") or [])})
        return {"repositories": out}

    def update(self, spec: dict) -> dict:
        with STATE:
            if spec.get("registry") == "ecr-public":
                be = public_registry(spec.get("account", ACCOUNT))
            else:
                be = backend(spec.get("region", "us-east-1"), spec.get("account", ACCOUNT))
            repo = get_repo(be, spec.get("repository"))
            by_digest = digests_of(repo)
            img = by_digest.get(spec.get("digest"))
            if img is None:
                raise image_not_found(repo, {"imageDigest": spec.get("digest")})
            apply_edits(repo, img, spec)
            if isinstance(repo, PublicRepository):
                return public_image_detail(repo, img, by_digest)
            return image_detail(repo, img, by_digest)


    def consumers(self, spec: dict) -> dict:
        """ECS services, tasks and task definitions, and Lambda functions that use images."""
        region = spec.get("region", "us-east-1")
        ecs = ecs_backends[ACCOUNT][region]
        lam = lambda_backends[ACCOUNT][region]
        out = {"taskDefinitions": [], "functions": []}

        def cluster(name):
            if name not in ecs.clusters:
                ecs.create_cluster(name)

        def register(family, image):
            td = ecs.register_task_definition(
                family=family,
                container_definitions=[{"name": "app", "image": image, "memory": 128}],
            )
            out["taskDefinitions"].append(td.arn)
            return td

        with STATE:
            for d in spec.get("ecsTaskDefinitions", []):
                register(d["family"], d["image"])
            for d in spec.get("ecsServices", []):
                cluster(d["cluster"])
                td = register(d.get("family", d["service"]), d["image"])
                ecs.create_service(d["cluster"], d["service"], 1, td.arn)
                # A service keeps using its deployment's revision when the family moves on.
                for _ in range(d.get("laterRevisions", 0)):
                    register(d.get("family", d["service"]), d["image"])
            for d in spec.get("ecsTasks", []):
                cluster(d["cluster"])
                td = register(d.get("family", "task"), d["image"])
                tasks = ecs.run_task(d["cluster"], td.arn, 1, None, "test", None, "FARGATE")
                if d.get("imageDigest"):
                    tasks[0].containers[0].image_digest = d["imageDigest"]
                for _ in range(d.get("laterRevisions", 0)):
                    register(d.get("family", "task"), d["image"])
            role = f"arn:aws:iam::{ACCOUNT}:role/lambda"
            iam = iam_backends[ACCOUNT]["aws"]
            if spec.get("lambdaFunctions") and not any(
                r.name == "lambda" for r in iam.roles.values()
            ):
                iam.create_role("lambda", "{}", "/", None, "", [], None)
            for d in spec.get("lambdaFunctions", []):
                fn = lam.create_function(
                    {
                        "FunctionName": d["name"],
                        "Role": role,
                        "Code": {"ImageUri": d["imageUri"]},
                        "PackageType": "Image",
                        "Publish": bool(d.get("publish")),
                    }
                )
                # Lambda resolves the image when the function is deployed: by digest, or by
                # what its tag names now.
                fn.resolved_digest = resolve_uri(region, d["imageUri"])
                for v in lam.list_versions_by_function(d["name"]):
                    v.resolved_digest = fn.resolved_digest
                out["functions"].append(fn.function_arn)
        return out


def resolve_uri(region: str, uri: str) -> str | None:
    """The digest an ECR image URI names in this registry now, if any."""
    path = uri.split("/", 1)[1] if "/" in uri else uri
    if "@" in path:
        return path.split("@", 1)[1]
    name, _, tag = path.rpartition(":")
    if not name:
        name, tag = path, "latest"
    try:
        repo = get_repo(backend(region), name)
    except Exception:
        return None
    img = tag_holders(repo).get(tag)
    return img.image_digest if img else None


_get_code = lambda_models.LambdaFunction.get_code


def lambda_get_code(self):
    """As Lambda answers: `ResolvedImageUri` is the repository with the deployed digest."""
    resp = _get_code(self)
    code = resp.get("Code") or {}
    if "ImageUri" in code:
        base = code["ImageUri"].split("@", 1)[0]
        slash = base.rfind("/")
        if ":" in base[slash + 1 :]:
            base = base[: slash + 1 + base[slash + 1 :].index(":")]
        digest = getattr(self, "resolved_digest", None)
        if digest:
            code["ResolvedImageUri"] = f"{base}@{digest}"
        else:
            code.pop("ResolvedImageUri", None)
    return resp


lambda_models.LambdaFunction.get_code = lambda_get_code


def plain_json(start_response, status: int, payload) -> list:
    body = dumps(payload).encode()
    start_response(
        status_line(status),
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


class QuietHandler(MotoRequestHandler):
    """No access log: the tests inherit stderr and would drown in it."""

    def log_request(self, *args, **kwargs):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)"
    )
    parser.add_argument(
        "--ignore-stdin",
        action="store_true",
        help="keep serving when standard input closes (for manual runs)",
    )
    args = parser.parse_args()

    app = StandIn()
    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=QuietHandler)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: os._exit(0))
    if not args.ignore_stdin:

        def watch_stdin():
            while sys.stdin.buffer.read(4096):
                pass
            os._exit(0)

        threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
    # The reader may close our stdout after that line; anything printed later goes to stderr.
    sys.stdout = sys.stderr
    server.serve_forever()


if __name__ == "__main__":
    main()
