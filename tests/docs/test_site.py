"""The docs site builds strictly, its generated reference pages are complete, its architecture
diagram follows the code, and `mkdocs serve` previews it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from html import unescape
from pathlib import Path

import httpx
import yaml

from extensions.features import FEATURES
from tests.docs.commands import documented
from tests.docs.shell import git_status_without_bytecode, with_uv_on_path
from tests.helpers import TEMPLATE_ROOT, RenderedProject, free_port
from tests.rendered_settings import settings_fields


def _page(site: Path, name: str) -> str:
    return unescape((site / name / "index.html").read_text())


def test_site_builds_strictly_without_touching_the_clone(built_site: Path) -> None:
    documented("uv run mkdocs build --strict")
    nav = yaml.load(
        (TEMPLATE_ROOT / "mkdocs.yml").read_text(),
        Loader=yaml.Loader,  # mkdocs.yml uses !!python/name for the mermaid fence
    )["nav"]
    pages = re.findall(r"([\w-]+)\.md", json.dumps(nav))

    for page in pages:
        target = built_site / "index.html" if page == "index" else built_site / page / "index.html"
        assert target.is_file(), page
    assert {"questions", "configuration", "operations"} <= set(pages)
    assert 'class="mermaid"' in _page(built_site, "generated-service")
    for generated in ("questions", "configuration"):
        assert not (TEMPLATE_ROOT / "docs" / f"{generated}.md").exists()
        assert "language-bash" not in _page(built_site, generated), "commands there are untested"


def test_questions_page_covers_every_question_choice_and_rule(built_site: Path) -> None:
    spec = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
    html = (built_site / "questions" / "index.html").read_text()
    page = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())

    for name, question in spec.items():
        if name.startswith("_"):
            continue
        assert name in page
        assert " ".join(question["help"].split()) in page, name
        for choice in question.get("choices", []):
            assert str(choice) in page
        if "validator" in question:
            message = re.sub(r"\{%.*?%\}", "", question["validator"], flags=re.DOTALL)
            for words in re.split(r"\{\{.*?\}\}", message):
                assert " ".join(words.split()) in page, f"{name}: {words}"


def _settings_fields(project: RenderedProject) -> set[str]:
    return set(settings_fields(project.path, project.answers))


def test_configuration_page_lists_every_setting_of_the_all_on_render(
    built_site: Path, all_on_render: RenderedProject
) -> None:
    page = _page(built_site, "configuration")
    fields = _settings_fields(all_on_render)
    example = (all_on_render.path / ".env.example").read_text()
    variables = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))

    assert len(fields) > 40
    missing = {name for name in fields | variables if f"<code>{name}</code>" not in page}
    assert missing == set()
    # Every option's settings, an option all-on leaves out for another (oidc) included.
    every_option = {setting.name for feature in FEATURES for setting in feature.settings}
    assert {name for name in every_option if f"<code>{name}</code>" not in page} == set()
    assert "<code>OIDC_ISSUER_URL</code>" in page
    for environment in ("development", "production", "test"):
        assert f"<th>{environment}</th>" in page


def test_architecture_diagram_follows_the_middleware_order(all_on_render: RenderedProject) -> None:
    main = (all_on_render.path / "app" / "main.py").read_text()
    added = re.findall(r"app\.add_middleware\(\s*(\w+)", main)
    core = list(reversed(added))  # added innermost first
    page = (TEMPLATE_ROOT / "docs" / "generated-service.md").read_text()
    diagram = page.split("```mermaid")[1].split("```")[0]
    positions = [diagram.index(f'{name}["') for name in core]
    assert positions == sorted(positions), core
    # The options' parts, where their modules put them: rate_limit's middleware between CORS and
    # BodySizeLimit (installed by the integrations' loop), metrics' observer on the access line.
    rate_limit = (all_on_render.path / "app/integrations/rate_limit.py").read_text()
    assert "app.add_middleware(RateLimitMiddleware" in rate_limit
    assert (
        diagram.index("CORSMiddleware[")
        < diagram.index("RateLimitMiddleware[")
        < diagram.index("BodySizeLimitMiddleware[")
    )
    metrics = (all_on_render.path / "app/integrations/metrics.py").read_text()
    assert "add_request_observer(app, RequestMetrics())" in metrics
    assert "AccessLogMiddleware -.- RequestMetrics[" in diagram


def test_mkdocs_serve_previews_the_site() -> None:
    port = free_port()
    before = git_status_without_bytecode()
    process = subprocess.Popen(
        [
            "bash",
            "-c",
            f"{documented('uv run mkdocs serve')} --dev-addr 127.0.0.1:{port} --no-livereload",
        ],
        cwd=TEMPLATE_ROOT,
        env=with_uv_on_path({**os.environ, "NO_MKDOCS_2_WARNING": "1"}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        page = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/configuration/", timeout=2)
                if page.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0]

    assert page is not None, output[-3000:]
    assert page.status_code == 200, output[-3000:]
    assert "SECRET_KEY" in page.text
    assert git_status_without_bytecode() == before
