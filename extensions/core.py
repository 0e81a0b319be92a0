"""What every rendered service has, whatever the answers: dependencies, routes, images, and the
database its CI starts. Optional parts are in extensions/features.py.
"""

from __future__ import annotations

from .features import CIService

# Floors are the releases the generated code was checked against where it relies on their
# behaviour (see docs/options.md): FastAPI's telemetry switch and body limit, pwdlib's
# verify_and_update, redis.asyncio's aclose and timeouts, limits' redispy async storage, Alembic's
# `module` post-write hook (1.16.3); ruff and mypy because the rendered files must pass their
# current format and checks.
CORE_DEPENDENCIES: tuple[str, ...] = (
    "anyio>=4.5,<5",
    "fastapi>=0.165,<1",
    "fastapi-offline>=1.7.7,<2",
    "uvicorn[standard]>=0.34",
    "pydantic>=2.11,<3",
    "pydantic-settings>=2.7,<3",
    "email-validator>=2.2",
    "python-multipart>=0.0.20",
    "sqlalchemy[asyncio]>=2.1,<3",
    "alembic>=1.16.3,<2",
    "asyncpg>=0.30",
    "aiosqlite>=0.21",
    "pwdlib[argon2]>=0.3.1,<0.4",
    # The common-password list of the password policy (app/schemas/password.py reads its
    # frequency_lists module, whose layout 4.x keeps).
    "zxcvbn>=4.5,<5",
    # Unicode's confusable characters (confusables.txt), for the key that refuses an address
    # looking like another's (app/core/lookalikes.py reads its confusables.json, data only).
    "confusable-homoglyphs>=3.3.1,<4",
    # WEB_CONCURRENCY > 1: gunicorn supervises uvicorn worker processes (scripts/start.sh).
    "gunicorn>=23.0",
    "uvicorn-worker>=0.3",
)

CORE_DEV_DEPENDENCIES: tuple[str, ...] = (
    "pytest>=9.0",
    # An independent JWT implementation: the tests forge tokens with it and check that the
    # service's own (app/core/tokens.py) and it accept each other's.
    "pyjwt>=2.15,<3",
    "pytest-asyncio>=1.0",
    "httpx>=0.28",
    "coverage[toml]>=7.6",
    "mypy>=2.4",
    "asyncpg-stubs>=0.30",
    "ruff>=0.17",
    "pre-commit>=4.0",
    "pre-commit-hooks>=5.0",
)

# Base images by digest (multi-arch indexes, Debian trixie), so a build cannot change under a
# moving tag; Dependabot/Renovate move tag and digest together in the generated project.
PYTHON_IMAGE_DIGESTS: dict[str, str] = {
    "3.11": "sha256:45037981b62b34b44602584fccbc4d884d5f7dc92c7ee86bb38a698a79fe1e51",
    "3.12": "sha256:05cda9777409a9c3ffddd94a4c476b79f0769a0b4857f0c7ed9226b6800b0d6f",
    "3.13": "sha256:70729b46c69b4f1e97c4822c1af3df53a1476cf5ddc6c087c0c10bc3a5678c2f",
}
UV_IMAGE = "ghcr.io/astral-sh/uv:0.13.0"
UV_IMAGE_DIGEST = "sha256:cdc6093146eb3ff6a40107b38f008b789e050e77ad87865e381d9917da55a168"

# The generated CI always tests on PostgreSQL too (TEST_DATABASE_URL).
CORE_CI_SERVICES: tuple[CIService, ...] = (
    CIService(
        name="postgres",
        image="postgres:17-alpine",
        port="5432",
        health="pg_isready -U postgres",
        variable="TEST_DATABASE_URL",
        url="postgresql://postgres:postgres@{host}:5432/postgres",
        environment={"POSTGRES_PASSWORD": "postgres"},
    ),
)
