"""Benchmark generated services against a bare FastAPI app and a raw-driver floor.

    uv run python bench/run.py             # full run (8 minutes on 2 busy cores), writes JSON
    uv run python bench/run.py --quick     # the smoke version .ci/run uses (short load runs)
    uv run python bench/run.py --before main     # the same, plus the renders of another commit

Beside the default and all-on services, the all-on service with `auth=oidc` ("all-on-oidc" in
tests/scenarios.py) is measured on /users/me with access tokens of tests/provider.py's loopback
OpenID provider, signed RS256 and ES256 (RS256 only with --quick), against the same floor.

Everything runs on this machine: a private PostgreSQL cluster (with pg_stat_statements, to count
database round trips) and a private Redis on loopback ports, each app started as production
starts it (uvicorn, one worker), load from wrk on 127.0.0.1 (bench/wrk.py; wrk is not a Python
package: install it first, e.g. apt-get install wrk or brew install wrk). Figures are reported,
never asserted: targets are read against them (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import psycopg
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.wrk import Load, wrk  # noqa: E402 - after the path set-up above
from tests.helpers import (  # noqa: E402
    UV,
    RenderedProject,
    free_port,
    project_environment,
    render,
)
from tests.private_services import PrivatePostgres, PrivateRedis  # noqa: E402
from tests.provider import LoopbackProvider, loopback_provider  # noqa: E402
from tests.scenarios import ALL_ON  # noqa: E402

# The all-on service taking its users from an OpenID Connect provider (tests/scenarios.py's
# "all-on-oidc": no accounts, so no mail either). Its /users/me is compared with the all-on
# service's, the built-in HS256 path: the same stack but for who signs the tokens.
ALL_ON_OIDC = {**ALL_ON, "auth": "oidc", "email": False}
OIDC_ALGORITHMS = ("RS256", "ES256")
# The provider's tokens are minted once per algorithm and used to the end of the run.
OIDC_TOKEN_SECONDS = 4 * 3600

# Made per run: a key written in the template's files is published, and the service refuses it.
SECRET_KEY = secrets.token_urlsafe(48)
# /metrics needs a credential in production; the benchmarks never scrape it.
METRICS_TOKEN = secrets.token_urlsafe(24)
PASSWORD = "quartz-otter-58-violet"
BIN = Path(sys.executable).parent


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    return round(int(found.group(1)) / 1024, 1) if found else float("nan")


@contextmanager
def serving(python: Path, app: str, cwd: Path, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """uvicorn with one worker, as scripts/start.sh runs it (after migrations)."""
    port = free_port()
    # Kept for a start that fails: a refused configuration names the variables at fault.
    with tempfile.TemporaryFile() as printed:
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
            stderr=printed,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait(base_url, process, printed)
            yield base_url, process.pid
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait(base_url: str, process: subprocess.Popen[bytes], printed: IO[bytes]) -> None:
    """Until the server answers anything at all (a 404 will do)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            printed.seek(0)
            said = printed.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"{base_url} exited with {process.returncode}:\n{said}")
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
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "METRICS_TOKEN": METRICS_TOKEN,
        "EMAIL_LINK_BASE_URL": "https://app.example.com",
        # Production requires a relay with email; the benchmarked routes never mail.
        "SMTP_HOST": "127.0.0.1",
        "EMAIL_FROM": "noreply@app.example.com",
        # Each service's token is issued when it starts and used to the end of the run, which
        # takes longer than the default 15 minutes with --before or --rounds.
        "ACCESS_TOKEN_EXPIRE_MINUTES": "240",
        # Limits stay on (their cost is part of the stack) but high enough to refuse nothing.
        "RATE_LIMIT_DEFAULT": "100000000/minute",
        "RATE_LIMIT_AUTH": "100000000/minute",
    }


@dataclass
class Paired:
    """A service against its reference in rounds of one run each, back to back, the one going
    first alternating (reference-service, service-reference, ...), so both meet the same machine
    state; the ratio is the median of the rounds' ratios."""

    reference: Load
    service: Load
    ratio: float
    ratios: list[float]
    # The same from the servers' CPU time per request (reference's / service's): what the
    # service costs, whatever else the machine did meanwhile.
    cpu_ratio: float
    cpu_ratios: list[float]


# A side of a pair: (URL, wrk header lines, the server's process id).
Side = tuple[str, tuple[str, ...], int]


def paired(reference: Side, service: Side, seconds: int, rounds: int) -> Paired:
    references: list[Load] = []
    services: list[Load] = []
    for round_number in range(rounds):
        # Who goes first alternates (reference-service, service-reference, ...): a machine that
        # slows or speeds up within a round favours neither side.
        if round_number % 2 == 0:
            references.append(_run(reference, seconds))
            services.append(_run(service, seconds))
        else:
            services.append(_run(service, seconds))
            references.append(_run(reference, seconds))
    pairs = list(zip(references, services, strict=True))
    ratios = [round(s.rps / r.rps, 3) for r, s in pairs]
    cpu_ratios = [
        round(r.cpu_us_per_request / s.cpu_us_per_request, 3)
        for r, s in pairs
        if r.cpu_us_per_request and s.cpu_us_per_request
    ]
    return Paired(
        reference=_median_load(references),
        service=_median_load(services),
        ratio=round(statistics.median(ratios), 2),
        ratios=ratios,
        cpu_ratio=round(statistics.median(cpu_ratios), 2) if cpu_ratios else float("nan"),
        cpu_ratios=cpu_ratios,
    )


def _run(side: Side, seconds: int) -> Load:
    url, headers, pid = side
    return wrk(url, seconds, headers=headers, server_pid=pid)


def _median_load(loads: list[Load]) -> Load:
    return sorted(loads, key=lambda load: load.rps)[(len(loads) - 1) // 2]


def migrate(project: RenderedProject, env: dict[str, str]) -> None:
    subprocess.run(
        [str(project.path / ".venv" / "bin" / "python"), "-m", "alembic", "upgrade", "heads"],
        cwd=project.path,
        env={**project_environment(), **env},
        check=True,
        capture_output=True,
    )


@dataclass
class References:
    """The bare app's /health and the floor's /users/me, running for the whole benchmark."""

    bare: str
    floor: str
    bare_pid: int
    floor_pid: int
    floor_token: str = ""  # a token of the user in the floor's database, once there is one

    @property
    def floor_auth(self) -> tuple[str, ...]:
        return bearer(self.floor_token)


def bearer(token: str) -> tuple[str, ...]:
    """wrk's header line for a bearer token."""
    return (f"Authorization: Bearer {token}",)


def bench_service(
    project: RenderedProject,
    env: dict[str, str],
    database: Database,
    references: References,
    load: tuple[int, int],
    login_seconds: int,
) -> dict[str, Any]:
    seconds, rounds = load
    python = project.path / ".venv" / "bin" / "python"
    with serving(python, "app.main:app", project.path, env) as (base_url, pid):
        user = {"email": "bench@example.com", "username": "bench", "password": PASSWORD}
        httpx.post(f"{base_url}/api/v1/auth/register", json=user).raise_for_status()
        token = httpx.post(
            f"{base_url}/api/v1/auth/login", json={"username": "bench", "password": PASSWORD}
        ).json()["access_token"]
        auth = bearer(token)
        # The floor reads the default service's database: this token while the default service
        # is measured, the one kept from it afterwards.
        floor_auth = references.floor_auth if references.floor_token else auth
        me_url = f"{base_url}/api/v1/users/me"
        for url, headers in (
            (f"{base_url}/health", ()),
            (me_url, auth),
            (references.bare, ()),
            (references.floor, floor_auth),
        ):
            wrk(url, 2, headers=headers)  # warm-up
        health = paired(
            (references.bare, (), references.bare_pid),
            (f"{base_url}/health", (), pid),
            seconds,
            rounds,
        )
        me = paired(
            (references.floor, floor_auth, references.floor_pid),
            (me_url, auth, pid),
            seconds,
            rounds,
        )
        trips = round_trips_per_request(database, me_url, {"Authorization": f"Bearer {token}"}, 200)
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


def layer_costs(project: RenderedProject, env: dict[str, str]) -> dict[str, float]:
    """bench/layer_costs.py in the service's environment: CPU microseconds per request of each
    layer, in-process (the token cache off: every token verified)."""
    result = subprocess.run(
        [str(project.path / ".venv" / "bin" / "python"), str(ROOT / "bench" / "layer_costs.py")],
        cwd=project.path,
        env={**project_environment(), **env, "ACCESS_TOKEN_CACHE_SIZE": "0", "LOG_LEVEL": "INFO"},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"layer costs of {project.path} failed:\n{result.stderr[-3000:]}")
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def bench_me_verifying_every_token(
    project: RenderedProject,
    env: dict[str, str],
    references: References,
    load: tuple[int, int],
    token: str,
) -> Paired:
    """/users/me with ACCESS_TOKEN_CACHE_SIZE=0: the token's signature and claims checked on
    every request, as the floor does. `token` is the service's own user's (the floor's user
    lives in the default service's database)."""
    python = project.path / ".venv" / "bin" / "python"
    env = {**env, "ACCESS_TOKEN_CACHE_SIZE": "0"}
    with serving(python, "app.main:app", project.path, env) as (base_url, pid):
        me_url = f"{base_url}/api/v1/users/me"
        wrk(me_url, 2, headers=bearer(token))
        return paired(
            (references.floor, references.floor_auth, references.floor_pid),
            (me_url, bearer(token), pid),
            *load,
        )


def bench_oidc_service(
    project: RenderedProject,
    env: dict[str, str],
    database: Database,
    references: References,
    load: tuple[int, int],
    provider: LoopbackProvider,
    algorithms: tuple[str, ...],
) -> dict[str, Any]:
    """/users/me of an `auth=oidc` service with one long-lived provider token per algorithm,
    paired against the floor (HS256, every token verified). The service verifies a token's
    signature once and then remembers it (OIDC_TOKEN_CACHE_SIZE, on by default, as the HS256
    service's ACCESS_TOKEN_CACHE_SIZE), and reads its user by (issuer, subject): one statement per
    request once the first request has provisioned the user."""
    python = project.path / ".venv" / "bin" / "python"
    figures: dict[str, Any] = {"algorithms": {}}
    with serving(python, "app.main:app", project.path, env) as (base_url, pid):
        me_url = f"{base_url}/api/v1/users/me"
        for algorithm in algorithms:
            token = provider.token(
                "bench", algorithm=algorithm, lifetime_seconds=OIDC_TOKEN_SECONDS
            )
            # The first request fetches the provider's keys and provisions the user: not load.
            first = httpx.get(me_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
            if first.status_code != 200:
                raise RuntimeError(
                    f"{project.path}: /users/me with an {algorithm} token of the provider "
                    f"answered {first.status_code}: {first.text[:500]}"
                )
            # Warm-up; the floor has served since the run began and needs none.
            wrk(me_url, 2, headers=bearer(token))
            figures["algorithms"][algorithm] = paired(
                (references.floor, references.floor_auth, references.floor_pid),
                (me_url, bearer(token), pid),
                *load,
            )
            if "round_trips_me" not in figures:
                figures["round_trips_me"] = round_trips_per_request(
                    database, me_url, {"Authorization": f"Bearer {token}"}, 200
                )
        figures["rss_mib"] = rss_mib(pid)
    return figures


def offers_oidc(template: Path) -> bool:
    """Whether this checkout of the template asks the `auth` question with an `oidc` answer:
    before it did (issue 30), `auth` was a hidden question and an oidc render served no users."""
    questions = yaml.safe_load((template / "copier.yml").read_text())
    auth = questions.get("auth")
    return (
        isinstance(auth, dict)
        and "oidc" in (auth.get("choices") or [])
        and auth.get("when", True) is not False
    )


def commit_of(ref: str) -> str:
    """The commit `ref` names in this checkout; stops the run at once, saying so, when none."""
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        sys.exit(f"--before {ref}: no such commit in {ROOT} (a tag, branch or commit id)")
    return found.stdout.strip()


def renders_of(ref: str, workdir: Path) -> dict[str, RenderedProject]:
    """The default and all-on services rendered from commit `ref` of this template (a worktree,
    removed again), synced; named "default@ref" and "all-on@ref"; and "all-on-oidc@ref" when
    that commit offers `auth=oidc` (offers_oidc)."""
    worktree = workdir / "template-before"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(worktree), commit_of(ref)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    try:
        projects = {}
        renders: list[tuple[str, dict[str, Any]]] = [("default", {}), ("all-on", ALL_ON)]
        if offers_oidc(worktree):
            renders.append(("all-on-oidc", ALL_ON_OIDC))
        for name, answers in renders:
            project = render(workdir / f"{name}-before", answers, template=worktree)
            project.sync()
            projects[f"{name}@{ref}"] = project
        return projects
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short load runs (CI smoke)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="alternating rounds per ratio (default 3, 2 with --quick); more rounds steady the "
        "medians on a noisy machine",
    )
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument(
        "--before",
        metavar="REF",
        help="also render the default and all-on services from this commit of the template and "
        "measure them in the same run (before/after figures of a change)",
    )
    args = parser.parse_args()
    # (seconds per wrk run, alternating rounds per ratio), seconds of login load
    load, login_seconds = ((2, 2), 6) if args.quick else ((5, 3), 10)
    if args.rounds is not None:
        if args.rounds < 1:
            parser.error(f"--rounds {args.rounds}: at least 1")
        load = (load[0], args.rounds)
    # Arguments first: a mistake in them is named on a machine without wrk too.
    if shutil.which("wrk") is None:
        sys.exit(
            "bench/run.py needs wrk (Debian/Ubuntu: apt-get install wrk; macOS: brew install wrk)"
        )
    if args.before:
        commit_of(args.before)  # a mistyped ref stops the run before anything starts

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
        "load": {
            "tool": "wrk",
            "threads": 1,
            "connections": 32,
            "seconds": load[0],
            "alternating_rounds": load[1],
        },
    }
    try:
        results["generation"] = measure_generation(workdir)
        default = RenderedProject(workdir / "green", {})
        default.env["UV_PYTHON"] = shutil.which("python3.11") or "python3.11"
        all_on = render(workdir / "all-on", ALL_ON)
        all_on.sync()
        all_on_oidc = render(workdir / "all-on-oidc", ALL_ON_OIDC)
        all_on_oidc.sync()
        projects = {"default": default, "all-on": all_on, "all-on-oidc": all_on_oidc}
        if args.before:
            projects = {**renders_of(args.before, workdir), **projects}
        # The services taking tokens from the provider: measured on /users/me only (they have no
        # login, and bench_service's figures are the built-in services').
        oidc_names = [name for name in projects if name.partition("@")[0] == "all-on-oidc"]
        builtin_names = [name for name in projects if name not in oidc_names]
        databases = {
            name: Database(postgres, re.sub(r"[^a-z0-9]", "_", name.lower())) for name in projects
        }
        with loopback_provider(workdir) as provider:
            environments = {
                name: {
                    **service_environment(databases[name], redis),
                    **(provider.environment if name in oidc_names else {}),
                }
                for name in projects
            }
            for name, project in projects.items():
                migrate(project, environments[name])
            python = default.path / ".venv" / "bin" / "python"
            # The floor reads the same user row, in the default service's database.
            floor_env = {
                "BENCH_DATABASE_URL": databases["default"].url,
                "BENCH_SECRET_KEY": SECRET_KEY,
            }
            with (
                serving(python, "bench.apps.bare:app", ROOT, {}) as (bare_url, bare_pid),
                serving(python, "bench.apps.floor:app", ROOT, floor_env) as (floor_url, floor_pid),
            ):
                references = References(
                    bare=f"{bare_url}/health",
                    floor=f"{floor_url}/api/v1/users/me",
                    bare_pid=bare_pid,
                    floor_pid=floor_pid,
                )
                services: dict[str, dict[str, Any]] = {}
                # The default service first: the floor reads its user, with its token from then.
                for name in sorted(builtin_names, key=lambda name: name != "default"):
                    services[name] = bench_service(
                        projects[name],
                        environments[name],
                        databases[name],
                        references,
                        load,
                        login_seconds,
                    )
                    if name == "default":
                        references.floor_token = services[name]["token"]
                for name in builtin_names:
                    services[name]["verifying"] = bench_me_verifying_every_token(
                        projects[name],
                        environments[name],
                        references,
                        load,
                        services[name]["token"],
                    )
                    services[name]["layers"] = layer_costs(projects[name], environments[name])
                # The CI smoke measures one algorithm: the other adds as long again.
                algorithms = OIDC_ALGORITHMS[:1] if args.quick else OIDC_ALGORITHMS
                oidc_services = {
                    name: bench_oidc_service(
                        projects[name],
                        environments[name],
                        databases[name],
                        references,
                        load,
                        provider,
                        algorithms,
                    )
                    for name in oidc_names
                }
                floor_rss = rss_mib(floor_pid)
                floor_trips = round_trips_per_request(
                    databases["default"],
                    references.floor,
                    {"Authorization": f"Bearer {references.floor_token}"},
                    200,
                )
    finally:
        redis.stop()
        postgres.remove()
        shutil.rmtree(workdir, ignore_errors=True)

    default_figures = services["default"]
    results["references"] = {
        "bare_health": default_figures["health"].reference.__dict__,
        "floor_me": default_figures["me"].reference.__dict__,
        "floor_rss_mib": floor_rss,
        "floor_db_round_trips_per_me": floor_trips,
    }
    results["services"] = {
        name: {
            "health": figures["health"].service.__dict__,
            "bare_health_paired": figures["health"].reference.__dict__,
            "me": figures["me"].service.__dict__,
            "floor_me_paired": figures["me"].reference.__dict__,
            "login": figures["login"].__dict__,
            "health_vs_bare": figures["health"].ratio,
            "health_vs_bare_rounds": figures["health"].ratios,
            "health_vs_bare_cpu": figures["health"].cpu_ratio,
            "health_vs_bare_cpu_rounds": figures["health"].cpu_ratios,
            "me_vs_floor": figures["me"].ratio,
            "me_vs_floor_rounds": figures["me"].ratios,
            "me_vs_floor_cpu": figures["me"].cpu_ratio,
            "me_vs_floor_cpu_rounds": figures["me"].cpu_ratios,
            "db_round_trips_per_me": figures["round_trips_me"],
            "rss_mib_after_warmup": figures["rss_mib"],
            "rss_mib_after_login_load": figures["rss_mib_after_login_load"],
            "me_verifying_every_token": figures["verifying"].service.__dict__,
            "floor_me_paired_verifying": figures["verifying"].reference.__dict__,
            "me_verifying_every_token_vs_floor": figures["verifying"].ratio,
            "me_verifying_every_token_vs_floor_rounds": figures["verifying"].ratios,
            "me_verifying_every_token_vs_floor_cpu": figures["verifying"].cpu_ratio,
            "me_verifying_every_token_vs_floor_cpu_rounds": figures["verifying"].cpu_ratios,
            "layer_cpu_microseconds": figures["layers"],
        }
        for name, figures in services.items()
    }
    results["oidc"] = oidc_results(oidc_services, results["services"], args.before)
    results["argon2"] = {"memory_kib": 65536, "time_cost": 3, "parallelism": 4}
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)


def oidc_results(
    oidc_services: dict[str, dict[str, Any]], services: dict[str, Any], before: str | None
) -> dict[str, Any]:
    """The `auth=oidc` services' figures, each algorithm's also against the built-in HS256 path
    of the same run (its all-on counterpart): the ratio of the two ratios to the floor, so both
    are read against the same reference."""
    figures: dict[str, Any] = {}
    for name, measured in oidc_services.items():
        hs256_name = name.replace("all-on-oidc", "all-on", 1)
        hs256 = services[hs256_name]
        algorithms = {}
        for algorithm, me in measured["algorithms"].items():
            algorithms[algorithm] = {
                "me": me.service.__dict__,
                "floor_me_paired": me.reference.__dict__,
                "me_vs_floor": me.ratio,
                "me_vs_floor_rounds": me.ratios,
                "me_vs_floor_cpu": me.cpu_ratio,
                "me_vs_floor_cpu_rounds": me.cpu_ratios,
                # Against the HS256 service's /users/me: with its token cache (as both run by
                # default), and with every token verified.
                "me_vs_hs256": round(me.ratio / hs256["me_vs_floor"], 2),
                "me_vs_hs256_cpu": round(me.cpu_ratio / hs256["me_vs_floor_cpu"], 2),
                "me_vs_hs256_every_token_verified": round(
                    me.ratio / hs256["me_verifying_every_token_vs_floor"], 2
                ),
                "me_vs_hs256_every_token_verified_cpu": round(
                    me.cpu_ratio / hs256["me_verifying_every_token_vs_floor_cpu"], 2
                ),
            }
        figures[name] = {
            "answers": "all-on, auth=oidc, email=false",
            "hs256_service": hs256_name,
            "token_lifetime_seconds": OIDC_TOKEN_SECONDS,
            "db_round_trips_per_me": measured["round_trips_me"],
            "rss_mib_after_warmup": measured["rss_mib"],
            "algorithms": algorithms,
        }
    if before and f"all-on-oidc@{before}" not in oidc_services:
        figures[f"all-on-oidc@{before}"] = {
            "skipped": f"{before} has no auth=oidc answer (the auth question is not asked there)"
        }
    return figures


def _load_line(app: str, label: str, load: dict[str, Any]) -> str:
    return (
        f"{app:<16}{label:<26}{load['rps']:>8.0f} req/s  p50 {load['p50_ms']:.1f} ms  "
        f"p99 {load['p99_ms']:.1f} ms  errors {load['errors']}  non-2xx {load['non_2xx']}"
        + (f"  cpu {cpu:.0f} us/req" if (cpu := load.get("cpu_us_per_request")) else "")
    )


def _rounds(values: list[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


def print_table(results: dict[str, Any]) -> None:
    generation = results["generation"]
    refs = results["references"]
    load = results["load"]
    print(f"\ncopier copy --defaults: {generation['copy_seconds_median']:.2f} s (median of 3)")
    print(f"copy -> uv sync (warm) -> green tests: {generation['copy_to_green_seconds']:.1f} s")
    print(
        f"each ratio: {load['alternating_rounds']} alternating rounds of {load['seconds']} s "
        "(who goes first alternates), median of the round ratios; req/s: the median round; "
        "cpu: the server's CPU time per request, its ratio (reference's / service's) read the "
        "same way"
    )
    print(
        f"floor   rss {refs['floor_rss_mib']} MiB, "
        f"{refs['floor_db_round_trips_per_me']} statements per /users/me"
    )
    for name, service in results["services"].items():
        print(_load_line("bare", "GET /health", service["bare_health_paired"]))
        print(_load_line(name, "GET /health", service["health"]))
        print(_load_line("floor", "GET /api/v1/users/me", service["floor_me_paired"]))
        print(_load_line(name, "GET /api/v1/users/me", service["me"]))
        print(_load_line(name, "POST /api/v1/auth/login", service["login"]))
        all_on = name.startswith("all-on")
        print(
            f"{name}: /health vs bare {service['health_vs_bare']:.2f}x "
            f"(rounds {_rounds(service['health_vs_bare_rounds'])}; target >= 0.90; "
            f"cpu {service['health_vs_bare_cpu']:.2f}x), "
            f"/users/me vs floor {service['me_vs_floor']:.2f}x "
            f"(rounds {_rounds(service['me_vs_floor_rounds'])}; "
            f"cpu {service['me_vs_floor_cpu']:.2f}x), "
            f"{service['db_round_trips_per_me']} statements per /users/me"
        )
        print(_load_line("floor", "GET /api/v1/users/me", service["floor_me_paired_verifying"]))
        print(_load_line(name, "/users/me, no token cache", service["me_verifying_every_token"]))
        ratio = service["me_verifying_every_token_vs_floor"]
        rounds = _rounds(service["me_verifying_every_token_vs_floor_rounds"])
        target = "0.75" if all_on else "0.85"
        print(
            f"{name}: /users/me vs floor with ACCESS_TOKEN_CACHE_SIZE=0 (every token "
            f"verified, as the floor does): {ratio:.2f}x (rounds {rounds}; target >= {target}; "
            f"cpu {service['me_verifying_every_token_vs_floor_cpu']:.2f}x, rounds "
            f"{_rounds(service['me_verifying_every_token_vs_floor_cpu_rounds'])})"
        )
        print(f"{name}: CPU per request in-process, microseconds (bench/layer_costs.py):")
        for layer, figure in service["layer_cpu_microseconds"].items():
            print(f"    {figure:8.1f}  {layer}")
        print(
            f"{name:<8}rss {service['rss_mib_after_warmup']} MiB after warm-up, "
            f"{service['rss_mib_after_login_load']} MiB after the login load"
        )
    for name, service in results.get("oidc", {}).items():
        if "skipped" in service:
            print(f"{name}: not measured: {service['skipped']}")
            continue
        hs256 = service["hs256_service"]
        for algorithm, figures in service["algorithms"].items():
            verified = figures["me_vs_hs256_every_token_verified"]
            verified_cpu = figures["me_vs_hs256_every_token_verified_cpu"]
            print(_load_line("floor", "GET /api/v1/users/me", figures["floor_me_paired"]))
            print(_load_line(name, f"/users/me, {algorithm} token", figures["me"]))
            print(
                f"{name}: /users/me with an {algorithm} token of the provider (token cache on) "
                f"vs floor {figures['me_vs_floor']:.2f}x "
                f"(rounds {_rounds(figures['me_vs_floor_rounds'])}; "
                f"cpu {figures['me_vs_floor_cpu']:.2f}x); vs {hs256}'s HS256 /users/me "
                f"{figures['me_vs_hs256']:.2f}x (cpu {figures['me_vs_hs256_cpu']:.2f}x), "
                f"vs it with every token verified {verified:.2f}x (cpu {verified_cpu:.2f}x)"
            )
        print(
            f"{name}: rss {service['rss_mib_after_warmup']} MiB after warm-up, "
            f"{service['db_round_trips_per_me']} statements per /users/me"
        )
    argon2 = results["argon2"]
    print(
        f"login is Argon2id-bound: m={argon2['memory_kib']} KiB, t={argon2['time_cost']}, "
        f"p={argon2['parallelism']}"
    )


if __name__ == "__main__":
    main()
