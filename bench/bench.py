#!/usr/bin/env python3
"""The measurements of bench/run.sh; prints one Markdown table and writes bench/results.md.

Run through `bash bench/run.sh`, which builds the binary, prepares the Python environments and
runs `cargo bench` first. Everything talks to the local ECR API of the end-to-end tests
(tests/e2e/ecr_stand_in.py) on 127.0.0.1 only; AWS is never called.

Standard library only. Every wait has a time limit and every loop is bounded.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timezone

import fixture

DAY = fixture.DAY
LATENCY_MS = 30
SIGNIFICANT = ["dev", "rc", "prod", "latest", "prod-*"]  # bench/window.yaml, bench/aws-ecr-cleanup.yaml


class BenchError(Exception):
    pass


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def rfc3339(t: float) -> str:
    return datetime.fromtimestamp(int(t), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def human_time(t: float) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def seconds(s: float) -> str:
    return f"{s:.2f} s"


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


# ---------------------------------------------------------------- running programs


class Run:
    def __init__(self, code: int, wall: float, max_rss_kib: int, stdout: str, stderr: str):
        self.code, self.wall, self.max_rss_kib = code, wall, max_rss_kib
        self.stdout, self.stderr = stdout, stderr


# The peak RSS Linux reports for a process (wait4's ru_maxrss) includes what the process held
# before it called exec: a child forked from this script starts as a copy of it, with every
# fixture it holds. A fresh interpreter in between, small and holding nothing, forks the program
# and reports the program's own peak.
# It also times the program, so that its own start-up is not counted.
MEASURE = """
import os, subprocess, sys, time
start = time.monotonic()
p = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(p.pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(f"{usage.ru_maxrss} {time.monotonic() - start}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run(
    cmd: list[str],
    env: dict,
    timeout: float,
    stdout_path: str | None = None,
    ok=(0,),
    stdin_path: str | None = None,
) -> Run:
    """Runs `cmd`, measuring its wall time and peak RSS (see MEASURE). Output goes to files, so
    a large output never fills a pipe; stdout is returned unless `stdout_path` keeps it on disk."""
    with tempfile.TemporaryFile() as err, (
        open(stdout_path, "wb") if stdout_path else tempfile.TemporaryFile()
    ) as out, tempfile.NamedTemporaryFile("r") as rss, (
        open(stdin_path, "rb") if stdin_path else open(os.devnull, "rb")
    ) as stdin:
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-c", MEASURE, rss.name, *cmd],
            env=env,
            stdin=stdin,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        stop = lambda: os.killpg(proc.pid, signal.SIGKILL)  # the program too  # noqa: E731
        timer = threading.Timer(timeout, stop)
        timer.daemon = True
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: the program goes too
            stop()
            proc.wait(timeout=10)
            raise
        finally:
            timer.cancel()
        wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        measured = rss.read().split()
        max_rss_kib = int(measured[0]) if measured else 0
        if len(measured) == 2:
            wall = float(measured[1])
        err.seek(0)
        stderr = err.read().decode(errors="replace")
        stdout = ""
        if not stdout_path:
            out.seek(0)
            stdout = out.read().decode(errors="replace")
    if wall >= timeout:
        raise BenchError(f"{' '.join(cmd[:3])} … took longer than {timeout:.0f} s and was stopped")
    if proc.returncode not in ok:
        raise BenchError(
            f"{' '.join(cmd)} exited with {proc.returncode} (expected {ok}):\n{stderr[-3000:]}"
        )
    return Run(proc.returncode, wall, max_rss_kib, stdout, stderr)


# ---------------------------------------------------------------- the local ECR API


class StandIn:
    """tests/e2e/ecr_stand_in.py on 127.0.0.1; it exits when its stdin closes."""

    def __init__(self, python: str, script: str, pid_file: str, log_path: str):
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            [python, script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
        )
        with open(pid_file, "a") as f:
            f.write(f"{self.proc.pid}\n")
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        line = self.proc.stdout.readline().decode().strip() if ready else ""
        if not line.startswith("listening on http://127.0.0.1:"):
            self.stop()
            raise BenchError(f"the local ECR API did not start (first line: {line!r}); see {log_path}")
        self.url = line.split()[-1]

    def call(self, method: str, path: str, body=None, timeout: float = 300):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.load(r)

    def calls(self) -> collections.Counter:
        return collections.Counter(c["operation"] for c in self.call("GET", "/_stand_in/calls")["calls"])

    def reset_calls(self) -> None:
        self.call("DELETE", "/_stand_in/calls")

    def seed(self, now: int):
        spec = fixture.registry_seed(now)
        start = time.monotonic()
        out = self.call("POST", "/_stand_in/seed", spec)
        took = time.monotonic() - start
        digests = {r["name"]: r["digests"] for r in out["repositories"]}
        images = {
            r["name"]: [dict(i, digest=d) for i, d in zip(r["images"], digests[r["name"]])]
            for r in spec["repositories"]
        }
        return images, took

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except Exception:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


def aws_env(url: str, home: str) -> dict:
    """The environment of every AWS client: the stand-in's endpoint, dummy credentials, and
    nothing from the user's own AWS configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=home,
        NO_COLOR="1",
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.path.join(home, "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, "no-aws-credentials"),
    )
    return env


STATS_LINE = re.compile(r"^\s+([A-Za-z]+)\s+(\d+) calls?\s+([\d.]+) s\s*$")


def stats_from(stderr: str) -> collections.Counter:
    """The `--stats` table on standard error: calls per operation."""
    return collections.Counter(
        {m.group(1): int(m.group(2)) for m in map(STATS_LINE.match, stderr.splitlines()) if m}
    )


def calls_text(calls: collections.Counter) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(calls.items())) or "none"


def stats_note(log_calls: collections.Counter, stats: collections.Counter) -> str:
    if stats == log_calls:
        return "stand-in call log; `--stats` agrees"
    return f"stand-in call log; `--stats` says {calls_text(stats)}"


# ---------------------------------------------------------------- 1. local evaluation


def local_evaluation(a, rows: list) -> None:
    rows.append(("**1. Local evaluation**: `cargo bench -p ecr-lifecycle-compiler --bench scale`", "", "target"))
    with open(a.cargo_bench) as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not line.startswith("|") or len(cells) != 3 or cells[0] == "measure" or set(cells[0]) <= {"-"}:
                continue
            rows.append((cells[0], cells[1], cells[2]))

    now = 1_780_000_000  # fixed, so the input and the result are the same on every run
    path = os.path.join(a.work, "images-1m.json")
    log("writing 1,000,000 images as describe-images JSON")
    start = time.monotonic()
    images = fixture.write_images_json(path, now)
    gen = time.monotonic() - start
    size = os.path.getsize(path)
    log(f"  {images} images, {size / 2**20:.0f} MiB in {gen:.1f} s; evaluating policies/*.yaml")
    policies = sorted(
        os.path.join(a.root, "policies", p) for p in os.listdir(os.path.join(a.root, "policies"))
        if p.endswith(".yaml")
    )
    env = dict(os.environ, NO_COLOR="1")
    expired_path = os.path.join(a.work, "expired.txt")
    r = run(
        [a.bin, "evaluate", *policies, "--images", path, "--now", rfc3339(now)],
        env,
        timeout=300,
        stdout_path=expired_path,
    )
    with open(expired_path) as f:
        expired = sum(1 for line in f if line.strip())
    os.remove(path)
    os.remove(expired_path)
    rows.append(
        (
            f"**`ecr-lifecycle evaluate policies/*.yaml --images FILE`**: the {len(policies)} example "
            f"policies over {images:,} images in 1,000 repositories ({size / 2**20:.0f} MiB of "
            "describe-images JSON)",
            "",
            "",
        )
    )
    rows.append(("wall time", seconds(r.wall), "read, parse, evaluate, print the expired digests"))
    rows.append(("peak RSS", mib(r.max_rss_kib), "the JSON text is held whole while it is parsed"))
    rows.append(("peak RSS per image", f"{r.max_rss_kib * 1024 / images:.0f} B", "peak RSS ÷ images"))
    rows.append(
        (
            "peak RSS less the JSON text, per image",
            f"{(r.max_rss_kib * 1024 - size) / images:.0f} B",
            "(peak RSS − file size) ÷ images",
        )
    )
    rows.append(("digests expired", f"{expired:,}", ""))


EVALUATE_RUNS = 5


def file_digest(path: str) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def one_repository(a, rows: list) -> None:
    """Issue 20, goal 1: `evaluate` over 1,000,000 images of one repository, the best of
    several runs (the machine is shared), and its output byte for byte against the general
    path (standard input is read whole and parsed as before)."""
    now = 1_780_000_000
    path = os.path.join(a.work, "images-1m-one.json")
    log("writing 1,000,000 images of one repository as describe-images JSON")
    # In a process of its own: the generator holds the repository's million images, and a
    # child started from a large parent would report the parent's size as its peak RSS.
    gen = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, fixture; print(fixture.write_images_json(sys.argv[1], int(sys.argv[2]), "
            "repositories=1, per_repository=1_000_000))",
            path,
            str(now),
        ],
        cwd=os.path.dirname(os.path.abspath(__file__)),
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    images = int(gen.stdout.strip())
    size = os.path.getsize(path)
    policies = sorted(
        os.path.join(a.root, "policies", p) for p in os.listdir(os.path.join(a.root, "policies"))
        if p.endswith(".yaml")
    )
    cmd = [a.bin, "evaluate", *policies, "--now", rfc3339(now), "--images"]
    env = dict(os.environ, NO_COLOR="1")
    fast_out = os.path.join(a.work, "expired-fast.txt")
    general_out = os.path.join(a.work, "expired-general.txt")
    runs = []
    for i in range(EVALUATE_RUNS):
        log(f"  evaluate, run {i + 1} of {EVALUATE_RUNS}")
        runs.append(run(cmd + [path], env, timeout=300, stdout_path=fast_out))
    log("  evaluate --images - (the general path, for the byte comparison)")
    general = run(cmd + ["-"], env, timeout=600, stdout_path=general_out, stdin_path=path)
    same = file_digest(fast_out) == file_digest(general_out)
    with open(fast_out) as f:
        expired = sum(1 for line in f if line.strip())
    for p in (path, fast_out, general_out):
        os.remove(p)
    best = min(r.wall for r in runs)
    worst = max(r.wall for r in runs)
    rss = min(r.max_rss_kib for r in runs)
    rows.append(
        (
            f"**`ecr-lifecycle evaluate policies/*.yaml --images FILE`, one repository**: "
            f"{images:,} images of `web-0` ({size / 2**20:.0f} MiB of describe-images JSON, "
            "`bench/fixture.py`), under `policies/mixed.yaml`",
            "",
            "target",
        )
    )
    rows.append(
        (
            f"wall time, best of {EVALUATE_RUNS}",
            seconds(best),
            f"< 1 s; slowest run {seconds(worst)} (the machine is shared)",
        )
    )
    rows.append(("peak RSS", mib(rss), "the least of the runs"))
    rows.append(("peak RSS per image", f"{rss * 1024 / images:.0f} B", "< 400 B"))
    rows.append(("digests expired", f"{expired:,}", ""))
    rows.append(
        (
            "the same with `--images -` (standard input, read whole: the general path)",
            seconds(general.wall),
            f"peak RSS {mib(general.max_rss_kib)}, {general.max_rss_kib * 1024 / images:.0f} B per image",
        )
    )
    rows.append(
        (
            "output byte-identical to the general path",
            "yes" if same else "NO",
            "SHA-256 of both outputs",
        )
    )
    if not same:
        raise BenchError("evaluate printed different bytes from a file and from standard input")


# ---------------------------------------------------------------- 2. end to end


def end_to_end(a, rows: list, results: dict) -> None:
    shape = f"{fixture.REPOSITORIES} repositories × {fixture.IMAGES_PER_REPOSITORY} images"
    rows.append((f"**2. End to end** (local ECR API on 127.0.0.1, {shape}, `bench/policy.yaml`)", "", ""))
    policy = os.path.join(a.root, "bench", "policy.yaml")
    s = a.stand_in()
    try:
        images, took = s.seed(int(time.time()))
        total = sum(len(v) for v in images.values())
        rows.append(("seed (bulk load into the stand-in)", seconds(took), f"{total:,} images, push times over two years"))
        env = aws_env(s.url, a.home)
        plan_path = os.path.join(a.work, "plan.json")

        log("plan")
        s.reset_calls()
        r = run(
            [a.bin, "plan", policy, "-o", plan_path, "--stats"],
            env,
            timeout=300,
            stdout_path=os.path.join(a.work, "plan.txt"),
            ok=(2,),
        )
        calls = s.calls()
        with open(plan_path) as f:
            plan = json.load(f)
        summary = plan["summary"]
        os.remove(os.path.join(a.work, "plan.txt"))
        rows.append(("`plan bench/policy.yaml -o plan.json --stats`: wall time", seconds(r.wall), f"peak RSS {mib(r.max_rss_kib)}"))
        rows.append(("… API calls", calls_text(calls), stats_note(calls, stats_from(r.stderr))))
        rows.append(
            (
                "… planned",
                f"{summary['imagesToDelete']:,} images for the runner; {summary['policiesToPut']} native policies to put",
                f"ECR's native policy (untagged > 14 d) would expire {summary['ecrExpirations']:,} more",
            )
        )

        log("apply")
        s.reset_calls()
        r = run(
            [a.bin, "apply", plan_path, "--max-delete", "1000000", "--stats"],
            env,
            timeout=600,
        )
        calls = s.calls()
        m = re.search(r"Apply complete: (\d+) images? deleted", r.stdout)
        deleted = int(m.group(1)) if m else None
        rows.append(("`apply plan.json --max-delete 1000000 --stats`: wall time", seconds(r.wall), f"peak RSS {mib(r.max_rss_kib)}"))
        rows.append(("… API calls", calls_text(calls), stats_note(calls, stats_from(r.stderr))))
        rows.append(
            (
                "… images deleted",
                f"{deleted:,}" if deleted is not None else "(not reported)",
                "as planned" if deleted == summary["imagesToDelete"] else f"planned {summary['imagesToDelete']:,}",
            )
        )
        r = run([a.bin, "plan", policy], env, timeout=300, ok=(0, 2))
        summary_line = next(
            (l for l in r.stdout.splitlines() if l.startswith(("Plan:", "No changes"))), "(no summary line)"
        )
        rows.append(("… `plan` again after apply", summary_line.replace("|", "/"), f"exit code {r.code}"))
    finally:
        s.stop()

    paces = ("1", "8", "32", "auto")
    log(f"plan with {LATENCY_MS} ms per call, --concurrency {', '.join(paces)} (fresh seed)")
    s = a.stand_in()
    try:
        s.seed(int(time.time()))
        env = aws_env(s.url, a.home)
        s.call("POST", "/_stand_in/faults", {"operation": "*", "count": 1000000, "delayMs": LATENCY_MS})
        walls = {}
        for c in paces:
            s.reset_calls()
            r = run(
                [a.bin, "plan", policy, "--concurrency", c, "--format", "json", "--stats"],
                env,
                timeout=600,
                stdout_path=os.devnull,
                ok=(2,),
            )
            pace = next((l for l in r.stderr.splitlines() if l.startswith("Concurrency:")), "")
            walls[c] = (r.wall, sum(s.calls().values()), pace)
        s.call("DELETE", "/_stand_in/faults")
    finally:
        s.stop()
    for c in paces:
        wall, n, pace = walls[c]
        rows.append((f"`plan --concurrency {c}`, {LATENCY_MS} ms per call", seconds(wall), f"{n} calls; {pace}"))
    rows.append(("… speed-up of the concurrent repository walk", f"{walls['1'][0] / walls['8'][0]:.1f}×", "`--concurrency 1` ÷ `--concurrency 8`"))
    rows.append(("… the adaptive default against a hand-tuned 32", f"{walls['auto'][0] / walls['32'][0]:.2f}×", "`auto` ÷ `--concurrency 32` (1.00× is as fast)"))


def plan_memory(a, rows: list) -> None:
    """Peak RSS of `plan` as the registry grows and the largest repository does not: each
    repository is planned as it is read, so memory should follow the largest one."""
    rows.append(("**2b. Memory as the registry grows** (100 images per repository, 30 % of them to delete)", "", ""))
    policy = os.path.join(a.work, "memory.yaml")
    with open(policy, "w") as f:
        f.write(
            "version: 1\nrepositories: [\"m/*\"]\nrules:\n"
            "  - { name: builds, match: { tag_regex: \"b[0-9]+\" }, keep: { newest: 70 } }\n"
            "  - { name: rest, match: any, keep: all }\n"
        )
    rss = {}
    for count in (500, 2000):
        s = a.stand_in()
        try:
            now = int(time.time())
            s.call("POST", "/_stand_in/seed", {"repositories": [
                {"name": f"m/r{r:05}", "images": [
                    {"tags": [f"b{n}"], "pushedAt": now - 86400 * (200 - n), "sizeInBytes": 1_000_000}
                    for n in range(100)
                ]}
                for r in range(count)
            ]})
            env = aws_env(s.url, a.home)
            r = run([a.bin, "plan", policy, "--format", "json"], env, timeout=600, stdout_path=os.devnull, ok=(2,))
            rss[count] = r.max_rss_kib
            rows.append((f"`plan` over {count:,} repositories × 100 images", seconds(r.wall), f"peak RSS {mib(r.max_rss_kib)}"))
        finally:
            s.stop()
    rows.append(("… peak RSS for 2,000 repositories ÷ for 500", f"{rss[2000] / rss[500]:.2f}×", "target: at most 1.5×"))


def registry_scale(a, rows: list) -> None:
    """`plan` over 10,000 repositories × 100 images with 50 ms per call: the calls stay at
    the lower bound, and the adaptive pace is measured against a hand-tuned one."""
    repositories, latency_ms = 10_000, 50
    rows.append((f"**2c. A registry of {repositories:,} repositories × 100 images**, {latency_ms} ms per call", "", ""))
    policy = os.path.join(a.work, "scale.yaml")
    with open(policy, "w") as f:
        f.write(
            "version: 1\nrepositories: [\"s/*\"]\nrules:\n"
            "  - { name: builds, match: { tag_regex: \"b[0-9]+\" }, keep: { newest: 70 } }\n"
            "  - { name: rest, match: any, keep: all }\n"
        )
    s = a.stand_in()
    try:
        now = int(time.time())
        start = time.monotonic()
        for chunk in range(0, repositories, 1000):
            s.call("POST", "/_stand_in/seed", {"repositories": [
                {"name": f"s/r{r:05}", "images": [
                    {"tags": [f"b{n}"], "pushedAt": now - 86400 * (200 - n), "sizeInBytes": 1_000_000}
                    for n in range(100)
                ]}
                for r in range(chunk, chunk + 1000)
            ]})
        rows.append(("seed", seconds(time.monotonic() - start), f"{repositories * 100:,} images"))
        env = aws_env(s.url, a.home)
        s.call("POST", "/_stand_in/faults", {"operation": "*", "count": 10_000_000, "delayMs": latency_ms})
        walls = {}
        for c in ("32", "auto"):
            s.reset_calls()
            r = run(
                [a.bin, "plan", policy, "--concurrency", c, "--format", "json", "--stats"],
                env,
                timeout=1800,
                stdout_path=os.devnull,
                ok=(2,),
            )
            calls = s.calls()
            pace = next((l for l in r.stderr.splitlines() if l.startswith("Concurrency:")), "")
            walls[c] = r.wall
            rows.append((f"`plan --concurrency {c}`", seconds(r.wall), f"peak RSS {mib(r.max_rss_kib)}; {calls_text(calls)}; {pace}"))
        bound = 2 * repositories + -(-repositories // 1000)
        rows.append(("… calls against the lower bound", f"{sum(calls.values()):,}", f"⌈n/1000⌉ DescribeImages + 1 GetLifecyclePolicy per repository + ⌈repositories/1000⌉ DescribeRepositories = {bound:,}"))
        rows.append(("… the adaptive default against a hand-tuned 32", f"{walls['auto'] / walls['32']:.2f}×", "`auto` ÷ `--concurrency 32`"))
        s.call("DELETE", "/_stand_in/faults")
    finally:
        s.stop()


def lambda_cold_start(a, rows: list) -> None:
    """The function's own start-up: from the process starting (as Lambda starts `bootstrap`) to
    its first request for an invocation (GET …/runtime/invocation/next), against a Runtime API
    on 127.0.0.1 that answers nothing. Lambda's own sandbox start is not in it."""
    import http.server

    starts = []
    asked = threading.Event()

    class Api(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            if self.path.endswith("/runtime/invocation/next"):
                asked.set()
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    policies = os.path.join(a.work, "cold-start")
    os.makedirs(policies, exist_ok=True)
    with open(os.path.join(policies, "p.yaml"), "w") as f:
        f.write("version: 1\nrules:\n  - { name: recent, match: any, keep: { newest: 10 } }\n")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "ecr-lifecycle",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_EC2_METADATA_DISABLED": "true",
        "ECR_LIFECYCLE_POLICIES": policies,
        "HOME": a.home,
    }
    try:
        for _ in range(10):
            asked.clear()
            start = time.monotonic()
            proc = subprocess.Popen([a.bin, "lambda"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ok = asked.wait(timeout=30)
            took = time.monotonic() - start
            proc.kill()
            proc.wait(timeout=10)
            if not ok:
                raise BenchError("`ecr-lifecycle lambda` never asked the Runtime API for an invocation")
            starts.append(took)
    finally:
        server.shutdown()
    starts.sort()
    rows.append(("**2d. The Lambda function's start-up** (process start to its first `invocation/next`, 10 runs)", "", ""))
    rows.append(("median", f"{starts[len(starts) // 2] * 1000:.1f} ms", f"fastest {starts[0] * 1000:.1f} ms, slowest {starts[-1] * 1000:.1f} ms; Lambda's own sandbox start comes on top"))


# ---------------------------------------------------------------- 3. side by side


def glob_match(pattern: str, tag: str) -> bool:
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), tag) is not None


def anchor(images: list[dict], match) -> dict | None:
    hits = [i for i in images if any(match(t) for t in i["tags"])]
    return min(hits, key=lambda i: i["pushedAt"]) if hits else None


CLEANUP_LINE = re.compile(r"^([0-9a-f]{11}), (.*), (\d\d/\d\d/\d{4} \d\d:\d\d)$")
CLEANUP_REPO = re.compile(r"^Cleaning up `(.+)` according to the policy")


def cleanup_deletions(stderr: str, images: dict) -> dict[str, set]:
    """The seed tool's dry-run lines, digest prefixes resolved to full digests per repository."""
    out: dict[str, set] = collections.defaultdict(set)
    prefixes = {
        name: {i["digest"].removeprefix("sha256:")[:11]: i["digest"] for i in imgs}
        for name, imgs in images.items()
    }
    repo = None
    for line in stderr.splitlines():
        m = CLEANUP_REPO.match(line)
        if m:
            repo = m.group(1)
            continue
        m = CLEANUP_LINE.match(line)
        if m:
            if repo not in prefixes or m.group(1) not in prefixes[repo]:
                raise BenchError(f"aws-ecr-cleanup named an image this benchmark did not seed: {line!r} in {repo!r}")
            out[repo].add(prefixes[repo][m.group(1)])
    return out


def side_by_side(a, rows: list, results: dict) -> None:
    rows.append(("**3. Side by side with aws-ecr-cleanup 0.1.5** (dry run, fresh seed, the anchored window only)", "", ""))
    window = os.path.join(a.root, "bench", "window.yaml")
    config = os.path.join(a.root, "bench", "aws-ecr-cleanup.yaml")
    s = a.stand_in()
    try:
        images, _ = s.seed(int(time.time()))
        env = aws_env(s.url, a.home)
        timings = {}
        for latency in (0, LATENCY_MS):
            if latency:
                s.call("POST", "/_stand_in/faults", {"operation": "*", "count": 100000, "delayMs": latency})
            log(f"aws-ecr-cleanup dry run{f', {latency} ms per call' if latency else ''}")
            s.reset_calls()
            started = time.time()
            cleanup = run([a.cleanup, "--config", config], env, timeout=600)
            finished = time.time()
            cleanup_calls = s.calls()
            log(f"ecr-lifecycle plan{f', {latency} ms per call' if latency else ''}")
            s.reset_calls()
            ours = run(
                [a.bin, "plan", window, "--format", "json", "--now", rfc3339(started)],
                env,
                timeout=600,
                ok=(0, 2),
            )
            our_calls = s.calls()
            timings[latency] = (cleanup, cleanup_calls, ours, our_calls)
            if not latency:
                theirs = cleanup_deletions(cleanup.stderr, images)
                mine = {
                    r["name"]: {d["digest"] for d in r["deletions"]}
                    for r in json.loads(ours.stdout)["repositories"]
                }
                run_window = (started, finished)
        s.call("DELETE", "/_stand_in/faults")
    finally:
        s.stop()

    for latency, (cleanup, cleanup_calls, ours, our_calls) in timings.items():
        when = f"{latency} ms per call" if latency else "no injected latency"
        rows.append((f"wall time, {when}: aws-ecr-cleanup", seconds(cleanup.wall), f"{sum(cleanup_calls.values())} calls: {calls_text(cleanup_calls)}"))
        rows.append((f"wall time, {when}: `ecr-lifecycle plan --format json`", seconds(ours.wall), f"{sum(our_calls.values())} calls: {calls_text(our_calls)}"))
    results["ecs_calls"] = {
        k: v for k, v in timings[0][1].items() if k in ("ListClusters", "ListTasks", "DescribeTasks")
    }

    compare(images, theirs, mine, run_window, rows, results)


def compare(images, theirs, mine, run_window, rows, results) -> None:
    started, finished = run_window
    names = sorted(images)
    both = sum(len(theirs.get(n, set()) & mine.get(n, set())) for n in names)
    n_theirs = sum(len(theirs.get(n, set())) for n in names)
    n_mine = sum(len(mine.get(n, set())) for n in names)
    reasons: dict[str, list] = collections.defaultdict(list)
    D = fixture.WINDOW_DAYS * DAY

    def short_by(a) -> float:
        """How much shorter than 365 days aws-ecr-cleanup's window behind anchor `a` was: the
        part of a day that `now − anchor` exceeds whole days by, while it ran."""
        lo, hi = (started - a["pushedAt"]) % DAY, (finished - a["pushedAt"]) % DAY
        return hi if hi >= lo and finished - started < DAY else DAY
    for name in names:
        imgs = images[name]
        by_digest = {i["digest"]: i for i in imgs}
        glob_anchor = anchor(imgs, lambda t: any(glob_match(p, t) for p in SIGNIFICANT))
        exact_anchor = anchor(imgs, lambda t: t in SIGNIFICANT)
        for side, extra in (("cleanup", theirs.get(name, set()) - mine.get(name, set())),
                            ("ours", mine.get(name, set()) - theirs.get(name, set()))):
            for d in sorted(extra, key=lambda d: by_digest[d]["pushedAt"]):
                img = by_digest[d]
                if exact_anchor is None and glob_anchor is None:
                    why = "no-anchor" if side == "cleanup" and not img["tags"] else "unexplained"
                elif exact_anchor is None or exact_anchor is not glob_anchor:
                    why = "exact-tags"
                elif side == "cleanup" and 0 <= img["pushedAt"] - (exact_anchor["pushedAt"] - D) < short_by(exact_anchor):
                    why = "whole-days"
                else:
                    why = "unexplained"
                reasons[why].append((name, img, exact_anchor, glob_anchor, side))

    def count(why, side=None):
        return sum(1 for x in reasons[why] if side is None or x[4] == side)

    def repos(why):
        return len({x[0] for x in reasons[why]})

    rows.append(("images chosen for deletion: aws-ecr-cleanup", f"{n_theirs:,}", "parsed from its dry-run lines on stderr"))
    rows.append(("images chosen for deletion: ecr-lifecycle", f"{n_mine:,}", "`deletions` of the JSON plan"))
    rows.append(("… chosen by both", f"{both:,}", ""))
    rows.append(
        (
            "… only aws-ecr-cleanup",
            f"{n_theirs - both:,}",
            f"whole days {count('whole-days', 'cleanup'):,}, no anchor {count('no-anchor', 'cleanup'):,}, exact tags {count('exact-tags', 'cleanup'):,}, unexplained {count('unexplained', 'cleanup'):,}",
        )
    )
    rows.append(
        (
            "… only ecr-lifecycle",
            f"{n_mine - both:,}",
            f"exact tags {count('exact-tags', 'ours'):,}, unexplained {count('unexplained', 'ours'):,}",
        )
    )
    # Where both anchor on the same image: the images kept only because they are among the
    # `at_least` images just before the anchor (pushed before anchor − 365 days).
    by_count, by_count_repos, by_count_deleted = 0, set(), 0
    for name in names:
        imgs = sorted(images[name], key=lambda i: i["pushedAt"])
        glob_anchor = anchor(imgs, lambda t: any(glob_match(p, t) for p in SIGNIFICANT))
        exact_anchor = anchor(imgs, lambda t: t in SIGNIFICANT)
        if exact_anchor is None or exact_anchor is not glob_anchor:
            continue
        before = imgs[: imgs.index(exact_anchor)][-fixture.AT_LEAST :]
        counted = [i for i in before if i["pushedAt"] < exact_anchor["pushedAt"] - D]
        if counted:
            by_count += len(counted)
            by_count_repos.add(name)
            by_count_deleted += sum(
                1 for i in counted if i["digest"] in theirs.get(name, set()) | mine.get(name, set())
            )
    results.update(
        by_count=by_count, by_count_repos=by_count_repos, by_count_deleted=by_count_deleted,
        reasons=reasons, count=count, repos=repos, started=started, finished=finished,
        n_theirs=n_theirs, n_mine=n_mine, both=both, images=images,
    )


def explanation(results: dict) -> str:
    reasons, count, repos = results["reasons"], results["count"], results["repos"]
    started = results["started"]
    lines = ["### Why the two tools differ", ""]
    lines.append(
        f"Both ran against the same fresh seed, aws-ecr-cleanup at {human_time(started)} and "
        f"ecr-lifecycle with `--now` set to that time, with the same significant tags "
        f"(`{', '.join(SIGNIFICANT)}`), period (365 days) and count (13). They agree on "
        f"{results['both']:,} images. Every difference falls in one of the cases below "
        f"({len(reasons['unexplained'])} unexplained)."
    )
    lines.append("")

    def of(n, k, what):
        if n == k:
            return f"{n:,} images that only it deletes, all {what}"
        return f"{n:,} images that only it deletes, {k:,} of them {what}"

    def example(why):
        return reasons[why][0] if reasons[why] else None

    e = example("whole-days")
    text = (
        f"**Whole days ({count('whole-days'):,} images in {repos('whole-days')} repositories, "
        "deleted by aws-ecr-cleanup only).** aws-ecr-cleanup keeps what is younger than "
        "`now − (⌊(now − anchor) in days⌋ + 365) days`, so its window ends up to a day after "
        "`anchor − 365 days`, by the fraction of a day between the anchor's push time and the "
        "time it runs; ecr-lifecycle keeps everything pushed at or after `anchor − 365 days`. "
        "The images in between are deleted by aws-ecr-cleanup alone; which images these are "
        "depends on the hour it runs."
    )
    if e:
        name, img, anc, _, _ = e
        frac = (started - anc["pushedAt"]) % DAY / 3600
        text += (
            f" For example in `{name}` the anchor (`{', '.join(anc['tags'])}`) was pushed "
            f"{human_time(anc['pushedAt'])}, {frac:.1f} hours past a whole number of days before "
            f"the run, and `{img['digest'][7:18]}` ({', '.join(img['tags']) or 'untagged'}) was "
            f"pushed {human_time(img['pushedAt'])}, "
            f"{(img['pushedAt'] - (anc['pushedAt'] - fixture.WINDOW_DAYS * DAY)) / 3600:.1f} hours "
            "inside ecr-lifecycle's window."
        )
    lines += [text, ""]

    e = example("no-anchor")
    text = (
        f"**No anchor ({count('no-anchor'):,} images in {repos('no-anchor')} repositories, "
        "deleted by aws-ecr-cleanup only).** In the repositories that were never deployed (no "
        "image carries a significant tag), aws-ecr-cleanup deletes every untagged image, "
        "whatever its age and however few images are left (its count is not applied either), "
        "while ecr-lifecycle deletes nothing without an anchor, as the README says."
    )
    if e:
        text += f" For example `{e[0]}`: {sum(1 for x in reasons['no-anchor'] if x[0] == e[0])} untagged images, the youngest pushed {human_time(max(x[1]['pushedAt'] for x in reasons['no-anchor'] if x[0] == e[0]))}."
    lines += [text, ""]

    ex = reasons["exact-tags"]
    no_exact = [x for x in ex if x[2] is None]
    later = [x for x in ex if x[2] is not None]
    no_exact_theirs = sum(1 for x in no_exact if x[4] == "cleanup")
    no_exact_untagged = sum(1 for x in no_exact if x[4] == "cleanup" and not x[1]["tags"])
    no_exact_ours = sum(1 for x in no_exact if x[4] == "ours")
    no_exact_ours_tagged = sum(1 for x in no_exact if x[4] == "ours" and x[1]["tags"])
    text = (
        f"**Exact tags ({count('exact-tags', 'cleanup'):,} images deleted by aws-ecr-cleanup only, "
        f"{count('exact-tags', 'ours'):,} by ecr-lifecycle only, in {repos('exact-tags')} "
        "repositories).** aws-ecr-cleanup compares tags with `==`, so `prod-*` in its list "
        "matches only a tag literally named `prod-*`; for ecr-lifecycle it is a glob that "
        "matches `prod-eu` and `prod-us`. "
        f"In {len({x[0] for x in later})} repositories an older release still carries `prod-eu`: "
        "ecr-lifecycle anchors on it, months before the `prod` image aws-ecr-cleanup anchors on, "
        f"so it keeps the year behind it: {sum(1 for x in later if x[4] == 'cleanup'):,} images "
        "that aws-ecr-cleanup deletes"
        + (
            f" ({sum(1 for x in later if x[4] == 'ours'):,} the other way). "
            if any(x[4] == "ours" for x in later)
            else ". "
        )
        + f"In {len({x[0] for x in no_exact})} repositories only `prod-eu`/`prod-us` mark "
        "deployments: aws-ecr-cleanup finds no anchor and falls back to deleting every untagged "
        f"image, recent ones included ({of(no_exact_theirs, no_exact_untagged, 'untagged')}), "
        "and no tagged one; ecr-lifecycle anchors on the `prod-eu` image and deletes what lies "
        "beyond the year behind it and the 13 images kept before it, tagged or not "
        f"({of(no_exact_ours, no_exact_ours_tagged, 'tagged')}; the untagged ones there are "
        "deleted by both)."
    )
    e = next((x for x in ex if x[2] is not None), None)
    if e:
        name, _, exact, globbed, _ = e
        text += (
            f" For example in `{name}` the `prod-eu` image was pushed {human_time(globbed['pushedAt'])} "
            f"and the `prod` image {human_time(exact['pushedAt'])}."
        )
    lines += [text, ""]

    if reasons["unexplained"]:
        lines.append("**Unexplained:** " + "; ".join(
            f"`{n}` {img['digest'][7:18]} ({side})" for n, img, _, _, side in reasons["unexplained"][:20]
        ))
        lines.append("")
    quiet = {fixture.repository_name(r) for r in range(fixture.REPOSITORIES) if r % 10 == 2}
    quiet = " (those with a quiet history)" if results["by_count_repos"] == quiet else ""
    lines.append(
        "Where both find the same anchor, they choose exactly the same images but for those "
        "within a day after the window's start, including where the count decides: in "
        f"{len(results['by_count_repos'])} repositories{quiet} the 13 images "
        f"kept before the anchor reach back past the year, {results['by_count']} images kept by "
        "the count alone, "
        + (
            "and neither tool deletes any of them."
            if results["by_count_deleted"] == 0
            else f"of which {results['by_count_deleted']} are deleted by one of the tools."
        )
    )
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", required=True, help="the repository's root")
    p.add_argument("--bin", required=True, help="the ecr-lifecycle binary")
    p.add_argument("--python", help="the Python with moto (.venv/bin/python)")
    p.add_argument("--cleanup", help="the aws-ecr-cleanup executable")
    p.add_argument("--cargo-bench", help="the output of cargo bench --bench scale")
    p.add_argument("--work", required=True, help="a scratch directory")
    p.add_argument("--out", help="the results file to write")
    p.add_argument(
        "--only-evaluate",
        action="store_true",
        help="only `evaluate` over one repository of 1,000,000 images: print its table, write nothing",
    )
    a = p.parse_args()
    if a.only_evaluate:
        os.makedirs(a.work, exist_ok=True)
        rows: list[tuple[str, str, str]] = []
        one_repository(a, rows)
        print("| measure | value | note |\n|---|---|---|")
        print("\n".join(f"| {m} | {v} | {n} |" for m, v, n in rows))
        return 0
    for need in ("python", "cleanup", "cargo_bench", "out"):
        if getattr(a, need) is None:
            p.error(f"--{need.replace('_', '-')} is required unless --only-evaluate")

    os.makedirs(a.work, exist_ok=True)
    a.home = os.path.join(a.work, "home")
    shutil.rmtree(a.home, ignore_errors=True)
    os.makedirs(a.home)
    pid_file = os.path.join(a.work, "stand-in.pids")
    script = os.path.join(a.root, "tests", "e2e", "ecr_stand_in.py")
    a.stand_in = lambda: StandIn(a.python, script, pid_file, os.path.join(a.work, "stand-in.log"))
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(1))  # runs the `finally` blocks: stand-ins stop

    rows: list[tuple[str, str, str]] = []
    results: dict = {}
    started = time.time()
    local_evaluation(a, rows)
    one_repository(a, rows)
    end_to_end(a, rows, results)
    plan_memory(a, rows)
    registry_scale(a, rows)
    lambda_cold_start(a, rows)
    side_by_side(a, rows, results)
    took = time.time() - started

    table = ["| measure | value | note |", "|---|---|---|"]
    table += [f"| {m} | {v} | {n} |" for m, v, n in rows]
    table_text = "\n".join(table)
    ecs = results.get("ecs_calls") or {}
    header = (
        "# Benchmark results\n\n"
        f"Made by `bash bench/run.sh` on {human_time(started)}: {os.cpu_count()} cores, "
        "ecr-lifecycle built with `cargo build --release`, aws-ecr-cleanup 0.1.5 from PyPI, and "
        "the local ECR API of the end-to-end tests (`tests/e2e/ecr_stand_in.py`, moto) on "
        "127.0.0.1. Wall times include process start. The local ECR API answers within a few "
        f"milliseconds per call; the rows with {LATENCY_MS} ms per call (a delay the stand-in "
        "injects before each answer, as real ECR round trips take tens of milliseconds) show "
        "what the number of calls and their concurrency cost against a real registry.\n"
    )
    notes = (
        "\n\nNotes:\n"
        f"- aws-ecr-cleanup also calls ECS before cleaning, to skip images that running tasks "
        f"use: it lists clusters (here: {calls_text(collections.Counter(ecs))}), then tasks and "
        "task descriptions per cluster. The stand-in passes non-ECR calls on to moto, whose ECS "
        "answers ListClusters with no clusters, so the check finds nothing in use and costs one "
        "call per configuration entry.\n"
        "- aws-ecr-cleanup pages DescribeImages by 100 and reads repositories one after another; "
        "ecr-lifecycle asks for pages of 1000 and reads several repositories at a time (8 at first, more while the registry answers). Both read "
        "everything before deciding, so the call counts above are the whole cost of a dry run.\n"
        f"- The measurements took {took / 60:.1f} minutes (after the build and `cargo bench`).\n"
    )
    text = header + "\n" + table_text + notes + "\n" + explanation(results) + "\n"
    with open(a.out, "w") as f:
        f.write(text)
    print(table_text)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (BenchError, OSError) as e:  # OSError: the local ECR API or a program went away
        log(f"error: {e}")
        sys.exit(1)
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
