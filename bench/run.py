"""Benchmark generated services against a bare FastAPI app and a raw-driver floor.

    uv run python bench/run.py             # full run (about 3 minutes), prints a table, writes JSON
    uv run python bench/run.py --quick     # the smoke version .ci/run uses (short load runs)

Everything runs on this machine: a private PostgreSQL cluster (with pg_stat_statements, to count
database round trips) and a private Redis on loopback ports, each app started as production
starts it (uvicorn, one worker), load from wrk on 127.0.0.1. Figures are reported, never
asserted: targets are read against them (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import (  # noqa: E402 - after the path set-up above
    UV,
    RenderedProject,
    free_port,
    project_environment,
    render,
)
from tests.load import Load, wrk  # noqa: E402
from tests.private_services import PrivatePostgres, PrivateRedis  # noqa: E402
from tests.scenarios import ALL_ON  # noqa: E402

SECRET_KEY = "bench-" + "k8Jq2Vx7Lm4Np9Rt3Wy6Zb1Cd5Fg0Hs8"
PASSWORD = "SecurePass123"
BIN = Path(sys.executable).parent


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    return round(int(found.group(1)) / 1024, 1) if found else float("nan")


@contextmanager
def serving(python: Path, app: str, cwd: Path, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """uvicorn with one worker, as scripts/start.sh runs it (after migrations)."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(python),
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--proxy-headers",
            "--no-server-header",
        ],
        cwd=cwd,
        env={**project_environment(), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait(base_url, process)
        yield base_url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait(base_url: str, process: subprocess.Popen[bytes]) -> None:
    """Until the server answers anything at all (a 404 will do)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{base_url} exited with {process.returncode}")
        try:
            httpx.get(base_url + "/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{base_url} did not start")


def timed(*command: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(
        list(command),
        cwd=cwd,
        env=env or project_environment(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def copier_copy(destination: Path, *extra: str) -> float:
    return timed(
        str(BIN / "copier"),
        "copy",
        "--trust",
        "--defaults",
        "--quiet",
        "--vcs-ref",
        "HEAD",
        *extra,
        str(ROOT),
        str(destination),
    )


def measure_generation(workdir: Path) -> dict[str, float]:
    copies = [copier_copy(workdir / f"copy-{attempt}") for attempt in range(3)]
    project = workdir / "green"
    started = time.perf_counter()
    copier_copy(project)
    env = {**project_environment(), "UV_PYTHON": shutil.which("python3.11") or "python3.11"}
    subprocess.run([UV, "sync", "--quiet"], cwd=project, env=env, check=True)
    tests = subprocess.run(
        [UV, "run", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    green = time.perf_counter() - started
    if tests.returncode != 0:
        raise RuntimeError(tests.stdout[-3000:])
    return {
        "copy_seconds_median": round(statistics.median(copies), 3),
        "copy_to_green_seconds": round(green, 1),
    }


class Database:
    def __init__(self, server: PrivatePostgres, name: str) -> None:
        self.server = server
        self.name = name
        with psycopg.connect(server.url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
            admin.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")

    @property
    def url(self) -> str:
        return self.server.url.rsplit("/", 1)[0] + f"/{self.name}"

    def statements(self) -> int:
        """Statements this database has run, utility ones (BEGIN, COMMIT) included."""
        with psycopg.connect(self.server.url) as connection:
            row = connection.execute(
                "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s "
                "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = %s",
                (self.name,),
            ).fetchone()
        return int(row[0]) if row else 0


def round_trips_per_request(
    database: Database, url: str, headers: dict[str, str], count: int
) -> float:
    with httpx.Client(headers=headers) as client:
        client.get(url)  # the pool is warm before counting
        before = database.statements()
        for _ in range(count):
            client.get(url).raise_for_status()
        after = database.statements()
    return round((after - before) / count, 2)


def service_environment(database: Database, redis: PrivateRedis) -> dict[str, str]:
    return {
        "ENVIRONMENT": "production",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database.url,
        "REDIS_URL": redis.url,
        "REDIS_KEY_PREFIX": f"bench-{database.name}",
        "ALLOWED_ORIGINS": "https://app.example.com",
        # Limits stay on (their cost is part of the stack) but high enough to refuse nothing.
        "RATE_LIMIT_DEFAULT": "100000000/minute",
        "RATE_LIMIT_AUTH": "100000000/minute",
    }


def bench_me_verifying_every_token(
    project: RenderedProject, database: Database, redis: PrivateRedis, seconds: int, token: str
) -> Load:
    """/users/me with ACCESS_TOKEN_CACHE_SIZE=0: the token's signature and claims checked on
    every request, as the floor does."""
    python = project.path / ".venv" / "bin" / "python"
    env = {**service_environment(database, redis), "ACCESS_TOKEN_CACHE_SIZE": "0"}
    with serving(python, "app.main:app", project.path, env) as (base_url, _):
        auth = f"Authorization: Bearer {token}"
        wrk(f"{base_url}/api/v1/users/me", 2, headers=(auth,))
        return wrk(f"{base_url}/api/v1/users/me", seconds, headers=(auth,))


def bench_service(
    project: RenderedProject,
    database: Database,
    redis: PrivateRedis,
    seconds: int,
    login_seconds: int,
) -> dict[str, Any]:
    python = project.path / ".venv" / "bin" / "python"
    env = service_environment(database, redis)
    subprocess.run(
        [str(python), "-m", "alembic", "upgrade", "head"],
        cwd=project.path,
        env={**project_environment(), **env},
        check=True,
        capture_output=True,
    )
    with serving(python, "app.main:app", project.path, env) as (base_url, pid):
        user = {"email": "bench@example.com", "username": "bench", "password": PASSWORD}
        httpx.post(f"{base_url}/api/v1/auth/register", json=user).raise_for_status()
        token = httpx.post(
            f"{base_url}/api/v1/auth/login", json={"username": "bench", "password": PASSWORD}
        ).json()["access_token"]
        auth = f"Authorization: Bearer {token}"
        wrk(f"{base_url}/health", 2)  # warm-up
        wrk(f"{base_url}/api/v1/users/me", 2, headers=(auth,))
        health = wrk(f"{base_url}/health", seconds)
        me = wrk(f"{base_url}/api/v1/users/me", seconds, headers=(auth,))
        trips = round_trips_per_request(
            database, f"{base_url}/api/v1/users/me", {"Authorization": f"Bearer {token}"}, 200
        )
        rss_warm = rss_mib(pid)
        script = Path(tempfile.mkstemp(suffix=".lua")[1])
        script.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = '{json.dumps({'username': 'bench', 'password': PASSWORD})}'\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        login = wrk(f"{base_url}/api/v1/auth/login", login_seconds, script=script)
        rss_login = rss_mib(pid)
    return {
        "health": health,
        "me": me,
        "login": login,
        "round_trips_me": trips,
        "rss_mib": rss_warm,
        "rss_mib_after_login_load": rss_login,
        "token": token,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short load runs (CI smoke)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args()
    seconds, login_seconds = (2, 6) if args.quick else (15, 10)

    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    postgres = PrivatePostgres(
        "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_utility=on"
    )
    redis = PrivateRedis()
    postgres.start()
    redis.start()
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "load": {"tool": "wrk", "threads": 2, "connections": 64, "seconds": seconds},
    }
    try:
        results["generation"] = measure_generation(workdir)
        default = RenderedProject(workdir / "green", {})
        default.env["UV_PYTHON"] = shutil.which("python3.11") or "python3.11"
        all_on = render(workdir / "all-on", ALL_ON)
        all_on.sync()
        databases = {
            name: Database(postgres, name.replace("-", "_")) for name in ("default", "all-on")
        }
        services = {
            name: bench_service(project, databases[name], redis, seconds, login_seconds)
            for name, project in (("default", default), ("all-on", all_on))
        }
        me_verifying_every_token = bench_me_verifying_every_token(
            default, databases["default"], redis, seconds, services["default"]["token"]
        )
        python = default.path / ".venv" / "bin" / "python"
        with serving(python, "bench.apps.bare:app", ROOT, {}) as (base_url, _):
            wrk(f"{base_url}/health", 2)
            bare = wrk(f"{base_url}/health", seconds)
        # The floor reads the same user row, in the default service's database.
        floor_env = {"BENCH_DATABASE_URL": databases["default"].url, "BENCH_SECRET_KEY": SECRET_KEY}
        token = services["default"]["token"]
        with serving(python, "bench.apps.floor:app", ROOT, floor_env) as (base_url, pid):
            auth = f"Authorization: Bearer {token}"
            wrk(f"{base_url}/api/v1/users/me", 2, headers=(auth,))
            floor = wrk(f"{base_url}/api/v1/users/me", seconds, headers=(auth,))
            floor_rss = rss_mib(pid)
            floor_trips = round_trips_per_request(
                databases["default"],
                f"{base_url}/api/v1/users/me",
                {"Authorization": f"Bearer {token}"},
                200,
            )
    finally:
        redis.stop()
        postgres.remove()
        shutil.rmtree(workdir, ignore_errors=True)

    results["references"] = {
        "bare_health": bare.__dict__,
        "floor_me": floor.__dict__,
        "floor_rss_mib": floor_rss,
        "floor_db_round_trips_per_me": floor_trips,
    }
    results["services"] = {
        name: {
            "health": figures["health"].__dict__,
            "me": figures["me"].__dict__,
            "login": figures["login"].__dict__,
            "health_vs_bare": round(figures["health"].rps / bare.rps, 2),
            "me_vs_floor": round(figures["me"].rps / floor.rps, 2),
            "db_round_trips_per_me": figures["round_trips_me"],
            "rss_mib_after_warmup": figures["rss_mib"],
            "rss_mib_after_login_load": figures["rss_mib_after_login_load"],
        }
        for name, figures in services.items()
    }
    verifying = results["services"]["default"]
    verifying["me_verifying_every_token"] = me_verifying_every_token.__dict__
    verifying["me_verifying_every_token_vs_floor"] = round(
        me_verifying_every_token.rps / floor.rps, 2
    )
    results["argon2"] = {"memory_kib": 65536, "time_cost": 3, "parallelism": 4}
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)


def _load_line(app: str, label: str, load: dict[str, Any]) -> str:
    return (
        f"{app:<8}{label:<26}{load['rps']:>8.0f} req/s  p50 {load['p50_ms']:.1f} ms  "
        f"p99 {load['p99_ms']:.1f} ms  errors {load['errors']}  non-2xx {load['non_2xx']}"
    )


def print_table(results: dict[str, Any]) -> None:
    generation = results["generation"]
    refs = results["references"]
    print(f"\ncopier copy --defaults: {generation['copy_seconds_median']:.2f} s (median of 3)")
    print(f"copy -> uv sync (warm) -> green tests: {generation['copy_to_green_seconds']:.1f} s")
    print(_load_line("bare", "GET /health", refs["bare_health"]))
    print(_load_line("floor", "GET /api/v1/users/me", refs["floor_me"]))
    print(
        f"floor   rss {refs['floor_rss_mib']} MiB, "
        f"{refs['floor_db_round_trips_per_me']} statements per /users/me"
    )
    for name, service in results["services"].items():
        print(_load_line(name, "GET /health", service["health"]))
        print(_load_line(name, "GET /api/v1/users/me", service["me"]))
        print(_load_line(name, "POST /api/v1/auth/login", service["login"]))
        print(
            f"{name:<8}/health vs bare {service['health_vs_bare']:.2f}x (target >= 0.80), "
            f"/users/me vs floor {service['me_vs_floor']:.2f}x (target >= 0.60), "
            f"{service['db_round_trips_per_me']} statements per /users/me"
        )
        if "me_verifying_every_token" in service:
            print(
                _load_line(name, "/users/me, no token cache", service["me_verifying_every_token"])
            )
            print(
                f"{name:<8}/users/me vs floor with ACCESS_TOKEN_CACHE_SIZE=0 (every token "
                f"verified, as the floor does): {service['me_verifying_every_token_vs_floor']:.2f}x"
            )
        print(
            f"{name:<8}rss {service['rss_mib_after_warmup']} MiB after warm-up, "
            f"{service['rss_mib_after_login_load']} MiB after the login load"
        )
    argon2 = results["argon2"]
    print(
        f"login is Argon2id-bound: m={argon2['memory_kib']} KiB, t={argon2['time_cost']}, "
        f"p={argon2['parallelism']}"
    )


if __name__ == "__main__":
    main()
