"""wrk (Debian's) on loopback, read back through wrk_report.lua."""

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPORT_SCRIPT = Path(__file__).with_name("wrk_report.lua")
# The header a load balancer adds; the bench runs the production settings behind "one".
FORWARDED = "X-Forwarded-Proto: https"


@dataclass
class LoadResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(url: str, *, seconds: int, connections: int, threads: int = 2, headers: list[str] = ()) -> LoadResult:
    assert url.startswith("http://127.0.0.1:"), "the bench loads loopback only"
    command = [
        "wrk",
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
    ]
    for header in [FORWARDED, *headers]:
        command += ["-H", header]
    command += ["-s", str(REPORT_SCRIPT), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=data["status_errors"] + data["connect_errors"] + data["read_errors"] + data["timeouts"],
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )
