"""Instructions per request of a generated service, counted by valgrind (callgrind).

Wall-clock and CPU-time figures on a shared 2-core machine spread by 10-30% between runs; an
instruction count is the same from run to run whatever else the machine does, so a change of a
few percent on the request path shows. Run it inside a rendered service's environment, with the
service's production settings in the environment and its database migrated (as
bench/layer_costs.py is run):

    .venv/bin/python <template>/bench/instructions.py /health
    ACCESS_TOKEN_CACHE_SIZE=0 .venv/bin/python <template>/bench/instructions.py /api/v1/users/me

It runs the service in-process twice under callgrind (the harness of bench/layer_costs.py:
lifespan started, a user registered and logged in, requests with its token), once with
`--requests` more requests than the other, and prints the difference divided by that number.
Needs valgrind (Debian/Ubuntu: apt-get install valgrind); about three minutes a path.
The figure is reported, never asserted. Instructions are not time: a cache miss costs many,
a system call's kernel side none, so read it beside bench/run.py's figures, not instead.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, os.getcwd())
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WARM_UP = 100


def serve_requests(path: str, count: int) -> None:
    """In this process: start the app, warm up, then answer `count` more requests of `path`."""
    from app.main import app  # the rendered service's, from the working directory

    from bench.layer_costs import _token, request_call, start_lifespan

    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - open for the whole run
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    stop = start_lifespan(app, loop)
    headers = [(b"host", b"127.0.0.1"), (b"user-agent", b"wrk")]
    if path != "/health":
        token = loop.run_until_complete(_token(app))
        headers.append((b"authorization", f"Bearer {token}".encode()))
    call = request_call(app, path, headers)

    async def answer(times: int) -> None:
        for _ in range(times):
            await call()

    loop.run_until_complete(answer(WARM_UP))
    loop.run_until_complete(answer(count))
    stop()


def counted(path: str, count: int) -> int:
    """Instructions callgrind counted in a whole run of `serve_requests(path, count)`."""
    run = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            path,
            "--child",
            str(count),
        ],
        # The same string hashes every run: dict and set layouts, so the same instructions.
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or found is None:
        raise SystemExit(f"the run of {count} requests failed:\n{run.stderr[-3000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="the path to request: /health or an authenticated route")
    parser.add_argument("--requests", type=int, default=500, help="the difference in requests")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        serve_requests(args.path, args.child)
        return
    if args.requests < 1:
        parser.error(f"--requests {args.requests}: at least 1")
    if shutil.which("valgrind") is None:
        sys.exit("bench/instructions.py needs valgrind (Debian/Ubuntu: apt-get install valgrind)")
    # The two runs are independent: one per core.
    with ThreadPoolExecutor(max_workers=2) as pool:
        fewer, more = pool.map(lambda count: counted(args.path, count), (0, args.requests))
    print(f"{args.path}: {round((more - fewer) / args.requests):,} instructions per request")


if __name__ == "__main__":
    main()
