"""wrk, the benchmark's load tool (loopback only); bench/run.py checks it is installed."""

from __future__ import annotations

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


def wrk(
    url: str, seconds: int, *, headers: tuple[str, ...] = (), script: Path | None = None
) -> Load:
    """A bounded run: 2 threads, 64 connections, `seconds` long, 5 s request timeout."""
    command = ["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for header in headers:
        command += ["-H", header]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rate is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
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
    )


def _latency(output: str, percentile: str) -> float:
    found = re.search(rf"{percentile}%\s+([\d.]+)(us|ms|s)\b", output)
    if found is None:
        raise RuntimeError(f"no {percentile}th percentile in wrk output:\n{output}")
    return float(found.group(1)) * _UNITS_IN_MS[found.group(2)]
