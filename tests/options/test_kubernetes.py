"""Cheap tier: deploy/kubernetes/ validates offline against the Kubernetes JSON schemas (strict:
an unknown field fails), and its environment is exactly what the generated settings read.

kubernetes-validate bundles the schemas, so no cluster and no network are needed. Its command
line only warns about a kind it has no schema for; `validate_manifest` below fails instead.
"""

from __future__ import annotations

import copy
import itertools
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from extensions.features import FEATURES
from tests.helpers import TEMPLATE_ROOT, RenderedProject, render
from tests.rendered_settings import production_required, settings_fields
from tests.scenarios import KUBERNETES_SCENARIOS, SCENARIOS, options_on

# The oldest Kubernetes still maintained when this was written, and the newest schemas bundled.
KUBERNETES_VERSIONS = ("1.32", kubernetes_validate.utils.latest_version())
# Read by scripts/start.sh (or the shell hooks it sources), not by the Settings class.
START_VARIABLES = {
    "ENVIRONMENT",
    "HOST",
    "PORT",
    "WEB_CONCURRENCY",
    "GRACEFUL_TIMEOUT",
    "MIGRATE_ON_START",
    "PROMETHEUS_MULTIPROC_DIR",
}
KUSTOMIZE_KIND = ("kustomize.config.k8s.io/v1beta1", "Kustomization")
# The Prometheus Operator's custom resources: no schema in kubernetes-validate (see
# test_the_pod_monitor_scrapes_the_api_with_the_token for what is checked instead).
OPERATOR_GROUP = "monitoring.coreos.com/"


def validate_manifest(document: dict[str, Any]) -> None:
    """Raise unless the document is valid, strictly, on every version in KUBERNETES_VERSIONS."""
    for version in KUBERNETES_VERSIONS:
        kubernetes_validate.validate(document, version, strict=True)


def load_documents(path: Path) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


@pytest.fixture(scope="module", params=KUBERNETES_SCENARIOS)
def deployed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> RenderedProject:
    name: str = request.param
    return render(tmp_path_factory.mktemp(f"kubernetes-{name}"), SCENARIOS[name])


def manifests(project: RenderedProject) -> dict[str, list[dict[str, Any]]]:
    root = project.path / "deploy" / "kubernetes"
    return {
        str(path.relative_to(root)): load_documents(path) for path in sorted(root.rglob("*.yaml"))
    }


def by_kind(project: RenderedProject, kind: str) -> dict[str, dict[str, Any]]:
    return {
        document["metadata"]["name"]: document
        for documents in manifests(project).values()
        for document in documents
        if document["kind"] == kind
    }


def test_every_manifest_matches_the_kubernetes_schemas_strictly(
    deployed: RenderedProject,
) -> None:
    checked = 0
    for name, documents in manifests(deployed).items():
        for document in documents:
            if (document["apiVersion"], document["kind"]) == KUSTOMIZE_KIND:
                continue  # not a Kubernetes object; checked by the next test
            if document["apiVersion"].startswith(OPERATOR_GROUP):
                continue  # a custom resource; checked by its own test
            try:
                validate_manifest(document)
            except kubernetes_validate.ValidationError as error:
                path = ".".join(str(part) for part in error.path)
                pytest.fail(f"{name}: {document['kind']} {path}: {error.message}")
            checked += 1

    assert checked >= 7  # ConfigMap, Deployment, Service, HPA, PDB, Job, example Secret


def test_kustomizations_list_every_manifest_but_the_example_secret(
    deployed: RenderedProject,
) -> None:
    root = deployed.path / "deploy" / "kubernetes"
    base = load_documents(root / "kustomization.yaml")[0]
    migrate = load_documents(root / "migrate" / "kustomization.yaml")[0]

    top_level = {path.name for path in root.glob("*.yaml")}
    assert set(base["resources"]) == top_level - {"kustomization.yaml", "secret.example.yaml"}
    assert migrate["resources"] == ["job.yaml"]
    # Custom resources stay out of the base: it applies on a cluster without their operator.
    assert not any(
        document["apiVersion"].startswith(OPERATOR_GROUP)
        for name in base["resources"]
        for document in load_documents(root / name)
    )
    monitoring = root / "monitoring"
    if "kubernetes_metrics" in options_on(deployed.answers):
        [listed_there] = load_documents(monitoring / "kustomization.yaml")
        assert listed_there["resources"] == ["podmonitor.yaml"]
        assert {path.name for path in monitoring.iterdir()} == {
            "kustomization.yaml",
            "podmonitor.yaml",
        }
    else:
        assert not monitoring.exists()
    # One image for the pods and the migrations that must match them.
    assert base["images"] == migrate["images"]
    on = options_on(deployed.answers)
    listed = {name for f in FEATURES if f.name in on for name in f.kubernetes_manifests}
    assert set(base["resources"]) == listed
    kinds = [load_documents(root / name)[0]["kind"] for name in base["resources"]]
    assert "Secret" not in kinds
    assert "Job" not in kinds


@pytest.mark.parametrize(
    ("break_it", "complaint"),
    [
        (lambda d: d["spec"]["template"]["spec"]["containers"][0].update(imagePolicy="x"), "imag"),
        (lambda d: d["spec"]["template"]["spec"].update(replicas=2), "replicas"),
        (lambda d: d["spec"].update(revisionHistoryLimit="five"), "five"),
        (lambda d: d["spec"]["template"]["spec"]["containers"][0].pop("name"), "name"),
    ],
    ids=["unknown-container-field", "field-on-the-wrong-level", "wrong-type", "missing-field"],
)
def test_a_broken_manifest_is_rejected(
    kubernetes_with_metrics: RenderedProject, break_it: Any, complaint: str
) -> None:
    slug = kubernetes_with_metrics.answers["project_slug"]
    deployment = by_kind(kubernetes_with_metrics, "Deployment")[slug]
    validate_manifest(deployment)  # the unbroken one passes
    broken = copy.deepcopy(deployment)
    break_it(broken)

    with pytest.raises(kubernetes_validate.ValidationError) as rejected:
        validate_manifest(broken)
    assert complaint in str(rejected.value.message)


def test_an_unknown_kind_is_an_error_not_a_warning() -> None:
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        validate_manifest({"apiVersion": "apps/v1", "kind": "Deploymint", "metadata": {}})


@pytest.fixture(scope="module")
def kubernetes_with_metrics(tmp_path_factory: pytest.TempPathFactory) -> RenderedProject:
    return render(tmp_path_factory.mktemp("kubernetes-metrics"), SCENARIOS["kubernetes-metrics"])


def _settings_fields(project: RenderedProject) -> tuple[set[str], set[str]]:
    """(every settings field, those production refuses to start without) of the render."""
    fields = set(settings_fields(project.path, project.answers))
    return fields, production_required(project.path, project.answers)


def _pod_specs(project: RenderedProject) -> dict[str, dict[str, Any]]:
    specs = {
        name: deployment["spec"]["template"]["spec"]
        for name, deployment in by_kind(project, "Deployment").items()
    }
    for name, job in by_kind(project, "Job").items():
        specs[name] = job["spec"]["template"]["spec"]
    return specs


def test_pods_get_exactly_the_settings_the_service_reads(deployed: RenderedProject) -> None:
    fields, required = _settings_fields(deployed)
    config_map = by_kind(deployed, "ConfigMap")
    [config] = config_map.values()
    [example_secret] = load_documents(deployed.path / "deploy/kubernetes/secret.example.yaml")
    slug = deployed.answers["project_slug"]

    specs = _pod_specs(deployed)
    read_from_secret: set[str] = set()
    on = options_on(deployed.answers)
    assert set(specs) == {slug, f"{slug}-migrate"} | (
        {f"{slug}-worker"} if "worker" in on else set()
    )
    # The worker's process loads only its own settings classes: it is handed their secrets
    # alone, and production requires of it only what they require.
    worker_settings = [s for f in FEATURES if f.name in on for s in f.worker_settings]
    worker_required = {s.name for s in worker_settings if s.required_in_production}
    worker_secrets = {s.name for s in worker_settings if s.secret}
    for name, spec in specs.items():
        [container] = spec["containers"]
        assert container["envFrom"] == [{"configMapRef": {"name": f"{slug}-config"}}], name
        from_secret = {
            entry["name"]: entry["valueFrom"]["secretKeyRef"]
            for entry in container["env"]
            if "valueFrom" in entry
        }
        literal = {entry["name"] for entry in container["env"] if "value" in entry}
        provided = set(config["data"]) | set(from_secret) | literal
        pod_requires = worker_required if name == f"{slug}-worker" else required

        assert provided <= fields | START_VARIABLES, (name, provided - fields - START_VARIABLES)
        assert pod_requires <= provided, (name, pod_requires - provided)
        assert not set(config["data"]) & set(from_secret), name
        assert {ref["name"] for ref in from_secret.values()} == {f"{slug}-secrets"}
        if name == f"{slug}-worker":
            assert set(from_secret) == worker_secrets
            assert not {"SECRET_KEY", "DATABASE_URL", "METRICS_TOKEN"} & set(from_secret)
        # Required settings make a missing key stop the pod; optional secrets may be absent.
        for variable, ref in from_secret.items():
            assert ref["key"] == variable
            assert ref.get("optional", False) == (variable not in pod_requires), variable
        # The first admin's credentials (with the service's own accounts) reach the migrate
        # Job only, never a serving pod.
        bootstrap = {"FIRST_SUPERUSER_EMAIL", "FIRST_SUPERUSER_PASSWORD"}
        if name == f"{slug}-migrate":
            assert (bootstrap <= set(from_secret)) == ("accounts" in on), name
        else:
            assert not bootstrap & set(from_secret), name
        read_from_secret |= set(from_secret)
    # The example Secret documents exactly the keys the pods read.
    assert set(example_secret["stringData"]) == read_from_secret

    # Secrets never sit in the ConfigMap: anything typed SecretStr comes from the Secret.
    annotations = settings_fields(deployed.path, deployed.answers)
    secret_typed = {name for name, kind in annotations.items() if kind.startswith("SecretStr")}
    assert not secret_typed & set(config["data"])
    # The feature table marks as required exactly what the settings classes require.
    marked = {
        setting.name
        for feature in FEATURES
        if feature.name in options_on(deployed.answers)
        for setting in feature.settings
        if setting.required_in_production
    }
    assert marked == required - {"DATABASE_URL", "ALLOWED_ORIGINS", "ALLOWED_HOSTS"}
    assert config["data"]["ENVIRONMENT"] == "production"
    assert config["data"]["MIGRATE_ON_START"] == "false"


# A documentation network (RFC 5737): nothing answers there, and production refuses it as a
# trusted proxy. The shipped placeholder of every address only the deployer knows.
DOCUMENTATION_NETWORK = "192.0.2.0/24"


def test_the_config_map_leaves_the_deployers_values_to_the_deployer(
    deployed: RenderedProject,
) -> None:
    """What production requires is empty in the ConfigMap (the pods refuse to start until the
    deployer sets it), never a development default that would pass; the trusted proxies are a
    placeholder production refuses. The deep tier feeds these values to the service itself
    (tests/service/test_generated_project.py)."""
    [config] = by_kind(deployed, "ConfigMap").values()
    data = config["data"]
    _, required = _settings_fields(deployed)
    required_in_config = required & set(data)

    assert {"ALLOWED_ORIGINS", "ALLOWED_HOSTS"} <= required_in_config
    assert {name: data[name] for name in required_in_config if data[name] != ""} == {}
    assert data["FORWARDED_ALLOW_IPS"] == DOCUMENTATION_NETWORK
    on = options_on(deployed.answers)
    if "email" in on:
        assert {"SMTP_HOST", "EMAIL_FROM", "EMAIL_LINK_BASE_URL"} <= required_in_config
        assert (data["SMTP_PORT"], data["SMTP_TLS"]) == ("587", "starttls")
    assert not any("localhost" in value or "127.0.0.1" in value for value in data.values())


def _policy_pods(policy: dict[str, Any], pods: dict[str, dict[str, str]]) -> set[str]:
    """The components (api, worker, migrate) whose pod labels a NetworkPolicy selects."""
    selector = policy["spec"]["podSelector"]
    chosen = set()
    for component, labels in pods.items():
        if not all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items()):
            continue
        expressions = selector.get("matchExpressions", [])
        assert all(e["operator"] == "In" for e in expressions)
        if all(labels.get(e["key"]) in e["values"] for e in expressions):
            chosen.add(component)
    return chosen


def test_network_policies_open_only_the_paths_the_service_uses(
    deployed: RenderedProject,
) -> None:
    slug = deployed.answers["project_slug"]
    on = options_on(deployed.answers)
    specs = {**by_kind(deployed, "Deployment"), **by_kind(deployed, "Job")}
    templates = [document["spec"]["template"] for document in specs.values()]
    pods = {
        labels["app.kubernetes.io/component"]: labels
        for labels in (template["metadata"]["labels"] for template in templates)
    }
    policies = by_kind(deployed, "NetworkPolicy")
    assert set(pods) == {"api", "migrate"} | ({"worker"} if "worker" in on else set())

    # Every pod of the service: nothing in or out but what a policy below opens.
    deny = policies.pop(f"{slug}-default-deny")
    assert _policy_pods(deny, pods) == set(pods)
    assert deny["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert not {"ingress", "egress"} & set(deny["spec"])

    # In: the API's http port, from the ingress controller's namespace (and the scraper).
    ingress = policies.pop(f"{slug}-api-ingress")
    assert _policy_pods(ingress, pods) == {"api"}
    assert ingress["spec"]["policyTypes"] == ["Ingress"]
    [rule] = ingress["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": "http"}]
    sources = [peer["namespaceSelector"]["matchLabels"] for peer in rule["from"]]
    assert sources[0] == {"kubernetes.io/metadata.name": "ingress-nginx"}
    assert "podSelector" not in rule["from"][0]
    if "metrics" in on:
        [scraper] = rule["from"][1:]
        assert scraper["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "prometheus"}
    else:
        assert len(rule["from"]) == 1

    # Out: the cluster's DNS from every pod, then each destination from the pods that use it.
    dns = policies.pop(f"{slug}-egress-dns")
    assert _policy_pods(dns, pods) == set(pods)
    [rule] = dns["spec"]["egress"]
    assert {(p["protocol"], p["port"]) for p in rule["ports"]} == {("UDP", 53), ("TCP", 53)}
    expected = {"database": ({"api", "migrate"}, 5432)}
    if "redis" in on:
        expected["redis"] = ({"api", "worker"} & set(pods), 6379)
    if "email" in on:
        expected["smtp"] = ({"worker"} if "email_worker" in on else {"api"}, 587)
    if "sentry" in on:
        expected["sentry"] = ({"api"}, 443)
    if "tracing" in on:
        expected["otlp"] = ({"api"}, 4318)
    if "oidc" in on:
        expected["oidc"] = ({"api"}, 443)
    found = {}
    for name, policy in policies.items():
        assert policy["spec"]["policyTypes"] == ["Egress"], name
        assert "ingress" not in policy["spec"], name
        [rule] = policy["spec"]["egress"]
        [peer] = rule["to"]  # never an empty `to`, which would open every destination
        # A placeholder that opens nothing until the deployer sets the address.
        assert peer == {"ipBlock": {"cidr": DOCUMENTATION_NETWORK}}, name
        [port] = rule["ports"]
        assert port["protocol"] == "TCP"
        found[name.removeprefix(f"{slug}-egress-")] = (_policy_pods(policy, pods), port["port"])
    assert found == expected


def test_probes_hit_the_generated_health_routes(deployed: RenderedProject) -> None:
    health = (deployed.path / "app/api/health.py").read_text()
    assert 'APIRouter(prefix="/health"' in health
    assert re.search(r'@router\.get\(\s*"",', health)
    assert re.search(r'@router\.get\(\s*"/detailed",', health)

    [api] = by_kind(deployed, "Deployment")[deployed.answers["project_slug"]]["spec"]["template"][
        "spec"
    ]["containers"]
    assert api["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert api["startupProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert api["readinessProbe"]["httpGet"] == {"path": "/health/detailed", "port": "http"}
    assert api["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]


def test_pods_run_locked_down(deployed: RenderedProject) -> None:
    dockerfile = (deployed.path / "Dockerfile").read_text()
    uid = re.search(r"^USER (\d+):(\d+)$", dockerfile, re.MULTILINE)
    assert uid is not None
    for name, spec in _pod_specs(deployed).items():
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, name
        assert (pod["runAsUser"], pod["runAsGroup"]) == (int(uid[1]), int(uid[2])), name
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False, name
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert set(container["resources"]) == {"requests", "limits"}, name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert "memory" in container["resources"]["limits"], name
            mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
            # Every writable path is an emptyDir; /tmp always is one.
            assert "emptyDir" in volumes[mounts["/tmp"]], name
            assert all("emptyDir" in volumes[volume] for volume in mounts.values()), name


def test_metrics_are_scraped_from_every_process(deployed: RenderedProject) -> None:
    on = options_on(deployed.answers)
    template = by_kind(deployed, "Deployment")[deployed.answers["project_slug"]]["spec"]["template"]
    [api] = template["spec"]["containers"]
    env = {entry["name"]: entry.get("value") for entry in api["env"]}
    mounts = {mount["mountPath"] for mount in api["volumeMounts"]}
    # Annotation-based discovery cannot send the credential /metrics requires in production.
    assert "annotations" not in template["metadata"]
    if "metrics" in on:
        assert env["PROMETHEUS_MULTIPROC_DIR"] in mounts
    else:
        assert "PROMETHEUS_MULTIPROC_DIR" not in env
        assert by_kind(deployed, "PodMonitor") == {}


# PodMonitor fields used here (monitoring.coreos.com/v1); anything else is a typo to catch.
POD_MONITOR_FIELDS = {"selector", "podMetricsEndpoints"}
POD_METRICS_ENDPOINT_FIELDS = {"port", "path", "interval", "authorization"}


def _metrics_path(project: RenderedProject) -> str:
    source = (project.path / "app/integrations/metrics.py").read_text()
    path = re.search(r'^METRICS_PATH = "([^"]+)"$', source, re.MULTILINE)
    assert path is not None
    return path[1]


def test_the_pod_monitor_scrapes_the_api_with_the_token(deployed: RenderedProject) -> None:
    if "kubernetes_metrics" not in options_on(deployed.answers):
        assert by_kind(deployed, "PodMonitor") == {}
        return
    slug = deployed.answers["project_slug"]
    api = by_kind(deployed, "Deployment")[slug]
    [container] = api["spec"]["template"]["spec"]["containers"]
    [monitor] = by_kind(deployed, "PodMonitor").values()

    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert set(monitor["spec"]) == POD_MONITOR_FIELDS
    # It selects exactly the API pods (not the worker's or the migration's).
    pod_labels = api["spec"]["template"]["metadata"]["labels"]
    assert monitor["spec"]["selector"] == {"matchLabels": pod_labels}
    assert api["spec"]["selector"]["matchLabels"] == pod_labels
    [endpoint] = monitor["spec"]["podMetricsEndpoints"]
    assert set(endpoint) == POD_METRICS_ENDPOINT_FIELDS
    assert endpoint["port"] in {port["name"] for port in container["ports"]}
    assert endpoint["path"] == _metrics_path(deployed)
    assert re.fullmatch(r"\d+[smh]", endpoint["interval"])
    # The token the pods require, from the key of the Secret they read it from.
    reference = {"name": f"{slug}-secrets", "key": "METRICS_TOKEN"}
    assert endpoint["authorization"] == {"type": "Bearer", "credentials": reference}
    pods_read = {
        entry["name"]: entry["valueFrom"]["secretKeyRef"]
        for entry in container["env"]
        if "valueFrom" in entry
    }
    assert pods_read["METRICS_TOKEN"] == reference  # required: no `optional`
    [example_secret] = load_documents(deployed.path / "deploy/kubernetes/secret.example.yaml")
    assert "METRICS_TOKEN" in example_secret["stringData"]


def test_the_documented_scrape_job_sends_the_token_to_the_api_pods(
    deployed: RenderedProject,
) -> None:
    """The README's job for a Prometheus without the operator: it parses, carries the token and
    keeps exactly the API pods' `http` port."""
    readme = (deployed.path / "deploy/kubernetes/README.md").read_text()
    if "metrics" not in options_on(deployed.answers):
        assert "scrape_configs" not in readme
        return
    slug = deployed.answers["project_slug"]
    [snippet] = re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL)
    [job] = yaml.safe_load(snippet)["scrape_configs"]
    api = by_kind(deployed, "Deployment")[slug]
    labels = api["spec"]["template"]["metadata"]["labels"]
    [port] = api["spec"]["template"]["spec"]["containers"][0]["ports"]

    assert job["metrics_path"] == _metrics_path(deployed)
    assert job["authorization"]["type"] == "Bearer"
    assert job["authorization"]["credentials_file"].endswith("/METRICS_TOKEN")
    assert [config["role"] for config in job["kubernetes_sd_configs"]] == ["pod"]
    [keep] = job["relabel_configs"]
    assert keep["action"] == "keep"
    assert keep["source_labels"] == [
        "__meta_kubernetes_pod_label_app_kubernetes_io_name",
        "__meta_kubernetes_pod_label_app_kubernetes_io_component",
        "__meta_kubernetes_pod_container_port_name",
    ]
    wanted = ";".join(
        (labels["app.kubernetes.io/name"], labels["app.kubernetes.io/component"], port["name"])
    )
    assert re.fullmatch(keep["regex"], wanted)
    assert not re.fullmatch(keep["regex"], f"{slug};worker;http")


def test_migrations_run_in_the_job_and_the_autoscaler_owns_the_replicas(
    deployed: RenderedProject,
) -> None:
    slug = deployed.answers["project_slug"]
    [job] = by_kind(deployed, "Job").values()
    [migrate] = job["spec"]["template"]["spec"]["containers"]
    assert migrate["command"] == ["scripts/migrate.sh"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"

    api = by_kind(deployed, "Deployment")[slug]
    assert "replicas" not in api["spec"]
    [hpa] = by_kind(deployed, "HorizontalPodAutoscaler").values()
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": slug}
    assert hpa["spec"]["scaleTargetRef"] == target
    [service] = by_kind(deployed, "Service").values()
    assert service["spec"]["selector"] == api["spec"]["selector"]["matchLabels"]


def documented_commands(markdown: Path, word: str) -> list[str]:
    """The lines of the ```bash blocks of `markdown` that run `word`."""
    blocks = re.findall(r"```bash\n(.*?)```", markdown.read_text(), re.DOTALL)
    return [
        line.strip()
        for block in blocks
        for line in block.splitlines()
        if line.strip().startswith(word)
    ]


def test_the_documented_kubectl_commands_name_what_the_manifests_define(tmp_path: Path) -> None:
    """kubectl cannot run here (no cluster): check instead that every path and object the
    commands of docs/scale-out.md name exists in a render, and that the generated README gives
    the same release steps."""
    commands = documented_commands(TEMPLATE_ROOT / "docs" / "scale-out.md", "kubectl")
    project = render(tmp_path, {**SCENARIOS["all-on"], "project_slug": "my-service"})
    readme = project.path / "deploy" / "kubernetes" / "README.md"
    jobs, deployments = by_kind(project, "Job"), by_kind(project, "Deployment")

    documented = documented_commands(readme, "kubectl")
    assert len(commands) == 6
    # The README's release steps: the Secret, then what the page shows; then the first admin.
    assert commands == documented[1 : len(commands) + 1]
    assert documented[0].startswith("kubectl create secret generic my-service-secrets")
    assert documented[len(commands) + 1 :] == [
        "kubectl patch secret my-service-secrets --type merge \\"
    ]
    for command in commands:
        words = command.split()
        for flag, argument in itertools.pairwise(words):
            if flag == "-f":
                assert (project.path / argument).is_file(), command
            if flag == "-k":
                assert (project.path / argument / "kustomization.yaml").is_file(), command
        for kind, name in re.findall(r"\b(job|deployment)[/ ]([a-z][a-z0-9-]+)", command):
            assert name in (jobs if kind == "job" else deployments), command
