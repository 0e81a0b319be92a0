"""The single source of truth for what the answers pull into a rendered service.

Templates never re-derive a feature from raw answers: they read the names computed here
(`dependencies`, `dev_dependencies`, `python_target`, ...). An optional integration adds its
entries to the tables below and its own files (conditional file names) to `template/`.
"""

from __future__ import annotations

from typing import Any

from copier_template_extensions import ContextHook

# Runtime dependencies every service needs, with the ranges the template is tested against.
CORE_DEPENDENCIES: tuple[str, ...] = (
    "fastapi>=0.160,<1",
    "uvicorn[standard]>=0.34",
    "pydantic>=2.11,<3",
    "pydantic-settings>=2.7,<3",
    "email-validator>=2.2",
    "python-multipart>=0.0.20",
    "sqlalchemy[asyncio]>=2.0.40,<3",
    "alembic>=1.15,<2",
    "asyncpg>=0.30",
    "aiosqlite>=0.21",
    "pyjwt>=2.10,<3",
    "pwdlib[argon2]>=0.2.1,<0.4",
    "python-json-logger>=3.2,<5",
)

CORE_DEV_DEPENDENCIES: tuple[str, ...] = (
    "pytest>=8.3",
    "pytest-asyncio>=1.0",
    "httpx>=0.28",
    "coverage[toml]>=7.6",
    "mypy>=1.15",
    "ruff>=0.11",
    "pre-commit>=4.0",
    "pre-commit-hooks>=5.0",
)


class ContextUpdater(ContextHook):
    def hook(self, context: dict[str, Any]) -> None:
        python_version = context.get("python_version")
        if python_version is None:
            # Question defaults are rendered before every answer exists.
            return
        context["python_target"] = "py" + str(python_version).replace(".", "")
        context["dependencies"] = sorted(CORE_DEPENDENCIES, key=str.lower)
        context["dev_dependencies"] = sorted(CORE_DEV_DEPENDENCIES, key=str.lower)
