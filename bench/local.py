"""The redirect through the local stack (``make run``), with its data kept on disk and in
memory only: what keeping the data costs a click.

    python -m bench.local [--quick] [--requests N] [--preload N] [--rounds N]

Each run is a fresh interpreter (moto's backends belong to a process) with the local stack
on free ports: "memory" keeps nothing, "disk" writes its snapshot to a new data directory
(at most once a second, when something changed, as ``make run`` does). Before the timed
part the database gets ``--preload`` clicks, so that a snapshot has something to copy; then
``--requests`` redirects, one after the other over one keep-alive connection, are timed at
the client. The variants alternate over ``--rounds`` runs, so that machine noise hits both.

For information: no budget, exit 0. A snapshot pauses every DynamoDB request while moto's
tables are pickled, so the cost shows in the slowest redirects (p99, max), more than in the
median, and grows with the size of the data.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
VARIANTS = ("memory", "disk")
API_KEY = "bench-key"


def _child(variant: str, requests: int, preload: int) -> dict[str, Any]:
    """One variant in this interpreter: start the stack, click, stop; the figures."""
    from infra.local.dynamodb import free_port

    os.environ.update(
        PORT=str(free_port()),
        DYNAMODB_PORT=str(free_port()),
        POLL_INTERVAL_SECONDS="0",
        JOBTRAIL_API_KEY=API_KEY,
    )
    from infra.local.stack import LocalStack

    with tempfile.TemporaryDirectory(prefix="jobtrail-bench-") as tmp:
        data_dir = Path(tmp) / "data" if variant == "disk" else None
        stack = LocalStack(
            port=int(os.environ["PORT"]), api_key=API_KEY, data_dir=data_dir, quiet=True
        )
        stack.start()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
            body = json.dumps({"title": "Bench", "url": "https://careers.example.se/jobs/1"})
            connection.request(
                "POST",
                "/api/jobs",
                body,
                {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
            )
            slug = json.loads(connection.getresponse().read())["links"][0]["slug"]

            def redirect() -> float:
                started = time.perf_counter()
                connection.request("GET", f"/{slug}", headers={"User-Agent": FIREFOX})
                response = connection.getresponse()
                response.read()
                elapsed = time.perf_counter() - started
                assert response.status == 302, response.status
                return elapsed * 1000

            for _ in range(preload):
                redirect()
            time.sleep(1.5)  # the preload's snapshot (disk), and its clicks counted
            written_before = stack.snapshots.written if stack.snapshots else 0
            latencies = [redirect() for _ in range(requests)]
            written = (stack.snapshots.written if stack.snapshots else 0) - written_before
            connection.close()
        finally:
            stack.stop()
        size = data_dir.joinpath("dynamodb.snapshot").stat().st_size if data_dir else 0
    return {"latencies": latencies, "snapshots": written, "snapshot_bytes": size}


def _run(variant: str, requests: int, preload: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path.cwd() / "functions"), "."])}
    command = [sys.executable, "-m", "bench.local", "--child", variant]
    command += ["--requests", str(requests), "--preload", str(preload)]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the {variant} run failed:\n{done.stdout}{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 requests, 500 preloaded")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--preload", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.preload = 300, 500
    if args.child:
        print(json.dumps(_child(args.child, args.requests, args.preload)))
        return 0
    results: dict[str, dict[str, Any]] = {
        v: {"latencies": [], "snapshots": 0, "snapshot_bytes": 0} for v in VARIANTS
    }
    for round_ in range(args.rounds):
        for variant in VARIANTS if round_ % 2 == 0 else VARIANTS[::-1]:
            result = _run(variant, args.requests, args.preload)
            results[variant]["latencies"] += result["latencies"]
            results[variant]["snapshots"] += result["snapshots"]
            results[variant]["snapshot_bytes"] = result["snapshot_bytes"]
    print(
        f"Redirect through the local stack: {args.requests} sequential redirects x "
        f"{args.rounds} runs per variant, after {args.preload} clicks preloaded"
    )
    print(
        f"{'variant':<8} {'median ms':>10} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'snapshots':>10} {'snapshot KiB':>13}"
    )
    medians = {}
    for variant in VARIANTS:
        latencies = results[variant]["latencies"]
        medians[variant] = statistics.median(latencies)
        print(
            f"{variant:<8} {medians[variant]:>10.2f} {_quantile(latencies, 0.9):>8.2f} "
            f"{_quantile(latencies, 0.99):>8.2f} {max(latencies):>8.2f} "
            f"{results[variant]['snapshots']:>10} "
            f"{results[variant]['snapshot_bytes'] / 1024:>13.0f}"
        )
    print(f"disk / memory, median: {medians['disk'] / medians['memory']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
