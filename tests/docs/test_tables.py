"""The docs' tables match their sources: README's question table and the options page against
copier.yml, the operations page against the compose file, the configuration page against the
settings classes at runtime, the route access table against the all-on render's routes and
the generated test that holds each to its rule, and the login's path against the generated test
that traces it."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from extensions.features import FEATURES
from tests.helpers import PRODUCTION_SECRET_KEY, TEMPLATE_ROOT, RenderedProject
from tests.scenarios import options_on


def _question_rows(markdown: Path) -> list[tuple[str, str]]:
    """(question, shown default) of each `| `name` | default |` table row."""
    return re.findall(r"^\| `(\w+)` \| (.+?) \|", markdown.read_text(), re.MULTILINE)


def _assert_defaults_shown(rows: list[tuple[str, str]], questions: dict[str, Any]) -> None:
    for name, default in rows:
        expected = questions[name]["default"]
        if isinstance(expected, str) and "{{" in expected:
            continue  # computed: the page says what it derives from
        shown = str(expected).lower() if isinstance(expected, bool) else str(expected)
        assert default == f"`{shown}`", name


def test_readme_question_table_matches_copier_yml() -> None:
    """Every core question, in order; the options may be left to docs/options.md, so that an
    option is documented in one place."""
    spec = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
    rows = _question_rows(TEMPLATE_ROOT / "README.md")
    questions = {name: q for name, q in spec.items() if not name.startswith("_")}
    options = {question for feature in FEATURES for question in feature.example}

    shown = [name for name, _ in rows]
    assert shown == [name for name in questions if name in shown]
    assert [name for name in questions if name not in options and name not in shown] == []
    _assert_defaults_shown(rows, questions)


def test_options_page_has_a_row_for_every_option() -> None:
    spec = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
    rows = _question_rows(TEMPLATE_ROOT / "docs" / "options.md")
    options = {question for feature in FEATURES for question in feature.example}

    assert sorted(name for name, _ in rows) == sorted(options)
    _assert_defaults_shown(rows, spec)


def test_operations_name_every_variable_compose_requires(all_on_render: RenderedProject) -> None:
    compose = (all_on_render.path / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):\?", compose))
    docker_section = (TEMPLATE_ROOT / "docs" / "operations.md").read_text().split("### Docker")[1]

    assert required == {
        "SECRET_KEY",
        "POSTGRES_PASSWORD",
        "ALLOWED_ORIGINS",
        "ALLOWED_HOSTS",
        "METRICS_TOKEN",
        "REDIS_PASSWORD",
        "SMTP_HOST",
        "EMAIL_FROM",
        "EMAIL_LINK_BASE_URL",
    }
    assert {name for name in required if f"`{name}`" not in docker_section} == set()


# Run inside the all-on render, from an empty folder (no dotenv file is read): every field of
# the joined settings classes, and what production refuses to start without — the fields pydantic
# requires, then those the integrations' own validators name, one round at a time.
RUNTIME_SETTINGS = """
import json, os, re, sys
sys.path.insert(0, os.getcwd())
plausible = json.loads(sys.argv[2])
os.chdir(sys.argv[1])
from pydantic import ValidationError
from app.bootstrap import settings as s
classes = (s.AppSettings, s.DevelopmentSettings, s.ProductionSettings, s.TestingSettings)
fields = {c.__name__: sorted(c.model_fields) for c in classes}
for name in fields["AppSettings"]:
    os.environ.pop(name, None)
required = {n for n, f in s.ProductionSettings.model_fields.items() if f.is_required()}
os.environ.update({n: plausible[n] for n in required})
for _ in range(10):
    try:
        s.ProductionSettings()
        break
    except ValidationError as error:
        found = re.findall(r"([A-Z][A-Z0-9_, ]*) (?:is|are) required", str(error))
        named = {name for group in found for name in group.split(", ")}
        assert named - required, str(error)
        required |= named
        os.environ.update({n: plausible[n] for n in named})
print(json.dumps({"fields": fields, "required": sorted(required)}))
"""


@pytest.mark.deep
def test_configuration_page_matches_the_settings_classes_at_runtime(
    all_on_render: RenderedProject, built_site: Path, tmp_path: Path
) -> None:
    """Independent of any parsing: pydantic itself lists the fields and which are required."""
    plausible = (
        {
            "SECRET_KEY": PRODUCTION_SECRET_KEY,
            "DATABASE_URL": "postgresql://app:pw@db:5432/app",
            "ALLOWED_ORIGINS": "https://app.example.com",
            "ALLOWED_HOSTS": "api.example.com",
        }
        | {
            # A compose default (`${NAME:-value}`) stands for its value.
            setting.name: re.sub(
                r"^\$\{\w+:-(.*)\}$",
                r"\1",
                feature.compose_environment.get(setting.name, setting.example),
            )
            or "x"
            for feature in FEATURES
            for setting in feature.settings
        }
        | {
            # What compose requires of the deployer (`${NAME:?...}`): a real value.
            "REDIS_URL": "redis://:password@redis:6379/0",
            "SMTP_HOST": "smtp.example.net",
            "EMAIL_FROM": "noreply@app.example.com",
            "EMAIL_LINK_BASE_URL": "https://app.example.com",
        }
    )
    all_on_render.sync()
    result = all_on_render.uv(
        "run", "python", "-c", RUNTIME_SETTINGS, str(tmp_path), json.dumps(plausible)
    ).check()
    runtime = json.loads(result.output.strip().splitlines()[-1])
    html = (built_site / "configuration" / "index.html").read_text()
    rows = {
        cells[0]: cells
        for row in re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL)
        if (cells := re.findall(r"<td>(.*?)</td>", row, re.DOTALL))
    }
    # The sections of options all-on leaves out for another (oidc) come from a render of their
    # own: this render's runtime has none of their fields.
    on = options_on(all_on_render.answers)
    left_out = {setting.name for f in FEATURES if f.name not in on for setting in f.settings}
    page_required = {
        re.sub(r"</?code>", "", name)
        for name, cells in rows.items()
        if len(cells) == 6 and cells[3].startswith("<strong>required</strong>")
    } - left_out

    every_field = {name for fields in runtime["fields"].values() for name in fields}
    assert {name for name in every_field if f"<code>{name}</code>" not in rows} == set()
    assert page_required == set(runtime["required"])
    assert {"SECRET_KEY", "DATABASE_URL", "ALLOWED_ORIGINS", "REDIS_URL"} <= page_required


def _login_path_of_the_generated_test() -> set[str]:
    source = (
        TEMPLATE_ROOT
        / "template"
        / "tests"
        / "test_end_to_end"
        / "{% if 'accounts' in features %}test_login_path.py{% endif %}"
    )
    for node in ast.parse(source.read_text()).body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "LOGIN_PATH":
            call = node.value
            assert isinstance(call, ast.Call)
            return set(ast.literal_eval(call.args[0]))
    raise AssertionError(f"no LOGIN_PATH in {source}")


def test_the_login_path_page_lists_the_modules_the_generated_test_traces() -> None:
    page = (TEMPLATE_ROOT / "docs" / "generated-service.md").read_text()
    section = page.split("## The path of a login")[1].split("\n## ")[0]
    listed = re.findall(r"^\| \d+ \| `([\w/.]+)` \|", section, re.MULTILINE)

    assert len(listed) == len(set(listed)) <= 8
    assert set(listed) == _login_path_of_the_generated_test()


# Run inside the all-on render: every operation of its OpenAPI document.
SERVED_OPERATIONS = """
import json
from app.main import app
paths = app.openapi()["paths"]
operations = [f"{method.upper()} {path}" for path, ops in paths.items() for method in ops]
print(json.dumps(sorted(operations)))
"""


def _access_table() -> dict[str, str]:
    section = (
        (TEMPLATE_ROOT / "docs" / "auth.md").read_text().split("## Who may call each route")[1]
    )
    return dict(
        re.findall(r"^\| `([A-Z]+ [^`]+)` \| (public|user|admin) \|", section, re.MULTILINE)
    )


# The generated tables: the routes both `auth` answers have, and the service's own accounts'.
GENERATED_ACCESS_TABLES = {
    "test_route_access.py": "ACCESS",
    "test_account_routes.py": "ACCOUNT_ACCESS",
}


def _access_of_the_generated_test(project: RenderedProject) -> dict[str, str]:
    """The generated tests' access tables joined, their PUBLIC/USER/ADMIN constants read as
    their names."""
    access: dict[str, str] = {}
    for module, name in GENERATED_ACCESS_TABLES.items():
        source = (project.path / "tests" / "test_api" / module).read_text()
        table = next(
            node.value
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Assign)
            and any(isinstance(target, ast.Name) and target.id == name for target in node.targets)
        )
        assert isinstance(table, ast.Dict)
        access.update(
            {
                ast.literal_eval(key): value.id.lower()
                for key, value in zip(table.keys, table.values, strict=True)
                if key is not None and isinstance(value, ast.Name)
            }
        )
    return access


@pytest.mark.deep
def test_the_route_access_table_lists_every_route_of_the_all_on_render(
    all_on_render: RenderedProject,
) -> None:
    """A new route of the template, public or not, is listed in docs/auth.md with its access, and
    the generated test holds it to the same rule (it runs over every route of the all-on render
    in the deep tier)."""
    table = _access_table()
    all_on_render.sync()
    served = json.loads(
        all_on_render.uv("run", "python", "-c", SERVED_OPERATIONS).check().output.splitlines()[-1]
    )

    assert sorted(table) == served
    assert _access_of_the_generated_test(all_on_render) == table
