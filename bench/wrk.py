"""wrk, the benchmark's load tool (loopback only); bench/run.py checks it is installed.

One wrk thread with 32 connections: on the two-core machine the benchmarks are read on, wrk
holds one core and the server under test (one worker) the other. Two wrk threads competed with
the server for both cores and spread the rounds of one run by 30% (docs/benchmarks.md).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

_UNITS_IN_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors: connect, read, write and timeouts
    non_2xx: int
    # The server's own CPU time (user + system) per answered request, when its process id was
    # given: unlike req/s, untouched by time the machine gave to other processes.
    cpu_us_per_request: float | None = None


def wrk(
    url: str,
    seconds: int,
    *,
    headers: tuple[str, ...] = (),
    script: Path | None = None,
    server_pid: int | None = None,
) -> Load:
    """A bounded run: 1 thread, 32 connections, `seconds` long, 5 s request timeout."""
    command = ["wrk", "-t1", "-c32", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for header in headers:
        command += ["-H", header]
    if script is not None:
        command += ["-s", str(script)]
    cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    cpu_after = cpu_seconds(server_pid) if server_pid else 0.0
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    answered = re.search(r"(\d+) requests in ", output)
    if rate is None or answered is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    cpu_per_request = (
        round((cpu_after - cpu_before) / int(answered.group(1)) * 1e6, 1)
        if server_pid and int(answered.group(1))
        else None
    )
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Load(
        rps=float(rate.group(1)),
        p50_ms=_latency(output, "50"),
        p99_ms=_latency(output, "99"),
        errors=sum(map(int, errors.groups())) if errors else 0,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        cpu_us_per_request=cpu_per_request,
    )


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _latency(output: str, percentile: str) -> float:
    found = re.search(rf"{percentile}%\s+([\d.]+)(us|ms|s)\b", output)
    if found is None:
        raise RuntimeError(f"no {percentile}th percentile in wrk output:\n{output}")
    return float(found.group(1)) * _UNITS_IN_MS[found.group(2)]
