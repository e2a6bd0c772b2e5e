"""deploy/kubernetes, checked without a cluster (none runs here).

The base and the production overlay are rendered (tests/deploy/kustomize.py, compared with
`kubectl kustomize` where kubectl is installed), every built-in object is validated against
the Kubernetes API schemas that kubernetes-validate ships, the KEDA objects against what
KEDA requires, and the YAML with yamllint. Then the properties that matter in production.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml
from yamllint import linter
from yamllint.config import YamlLintConfig

from core.queue import BATCH_QUEUE, INTERACTIVE_QUEUE
from core.settings import Settings
from tests.conftest import ROOT
from tests.deploy import kustomize

KUBE = ROOT / "deploy" / "kubernetes"
OVERLAYS = {"base": KUBE / "base", "production": KUBE / "overlays" / "production"}
DOCS = ROOT / "docs" / "kubernetes.md"
# The oldest Kubernetes these manifests are for, and the newest whose schemas we have.
KUBERNETES_VERSIONS = ("1.30", kubernetes_validate.utils.latest_version())
SECRET_NAMES = {"invoice-agent", "invoice-agent-aws"}
CREDENTIAL_IN_URL = re.compile(r"://[^/\s:@]+:([^@\s/]+)@")


def render(name: str) -> list[dict]:
    return kustomize.build(OVERLAYS[name])


@pytest.fixture(scope="module", params=sorted(OVERLAYS))
def rendered(request) -> list[dict]:
    return render(request.param)


def objects_of(objects: list[dict], kind: str) -> list[dict]:
    return [obj for obj in objects if obj["kind"] == kind]


def one(objects: list[dict], kind: str, name: str) -> dict:
    (found,) = [o for o in objects_of(objects, kind) if o["metadata"]["name"] == name]
    return found


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def container(objects: list[dict], component: str) -> dict:
    kind = "Job" if component == "migrate" else "Deployment"
    (only,) = pod_spec(one(objects, kind, f"invoice-agent-{component}"))["containers"]
    return only


def config(objects: list[dict]) -> dict[str, str]:
    return one(objects, "ConfigMap", "invoice-agent-config")["data"]


def secret_refs(objects: list[dict]) -> set[tuple[str, str]]:
    """(secret, key) of every Secret reference, in pods and in KEDA's authentications."""
    refs = set()
    for workload in objects_of(objects, "Deployment") + objects_of(objects, "Job"):
        for each in pod_spec(workload)["containers"]:
            for variable in each.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    refs.add((ref["name"], ref["key"]))
    for auth in objects_of(objects, "TriggerAuthentication"):
        refs |= {(ref["name"], ref["key"]) for ref in auth["spec"]["secretTargetRef"]}
    return refs


# --- rendering and validation -------------------------------------------------------------


def kubectl_kustomize(directory: Path) -> list[dict] | None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return None
    done = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.mark.parametrize("name", sorted(OVERLAYS))
def test_the_rendering_is_what_kustomize_renders(name):
    real = kubectl_kustomize(OVERLAYS[name])
    if real is None:
        pytest.skip("kubectl is not installed: only the Python rendering is checked")

    def keyed(objects):
        return {(o["kind"], o["metadata"]["name"]): o for o in objects}

    assert keyed(render(name)) == keyed(real)


def test_the_renderer_refuses_what_it_does_not_implement(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: []\nnamePrefix: x-\n")
    with pytest.raises(kustomize.Unsupported, match="namePrefix"):
        kustomize.build(tmp_path)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_built_in_object_is_valid_kubernetes(rendered, version):
    built_in = [o for o in rendered if not o["apiVersion"].startswith("keda.sh/")]
    assert len(built_in) >= 11
    for obj in built_in:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{obj['kind']}/{obj['metadata']['name']}: {error.message}")


_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_COUNT = {"type": "integer", "minimum": 0}
# What KEDA's CRDs (keda.sh/v1alpha1) accept for the fields we use, written from its
# documentation: required fields, types, and no field KEDA does not know.
KEDA_SCHEMAS = {
    "ScaledObject": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "keda.sh/v1alpha1"},
            "metadata": {"type": "object", "required": ["name"]},
            "spec": {
                "type": "object",
                "required": ["scaleTargetRef", "triggers"],
                "additionalProperties": False,
                "properties": {
                    "scaleTargetRef": {
                        "type": "object",
                        "required": ["name"],
                        "additionalProperties": False,
                        "properties": {
                            "apiVersion": {"type": "string"},
                            "kind": {"type": "string"},
                            "name": {"type": "string"},
                            "envSourceContainerName": {"type": "string"},
                        },
                    },
                    "pollingInterval": {"type": "integer", "minimum": 1},
                    "cooldownPeriod": _COUNT,
                    "initialCooldownPeriod": _COUNT,
                    "idleReplicaCount": _COUNT,
                    "minReplicaCount": _COUNT,
                    "maxReplicaCount": {"type": "integer", "minimum": 1},
                    "fallback": {"type": "object"},
                    "advanced": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "restoreToOriginalReplicaCount": {"type": "boolean"},
                            "scalingModifiers": {"type": "object"},
                            "horizontalPodAutoscalerConfig": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {
                                    "name": {"type": "string"},
                                    "behavior": {"type": "object"},  # checked as an HPA's
                                },
                            },
                        },
                    },
                    "triggers": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["type", "metadata"],
                            "additionalProperties": False,
                            "properties": {
                                "type": {"type": "string"},
                                "name": {"type": "string"},
                                "metadata": _STRING_MAP,  # KEDA takes strings only
                                "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
                                "useCachedMetrics": {"type": "boolean"},
                                "authenticationRef": {
                                    "type": "object",
                                    "required": ["name"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "name": {"type": "string"},
                                        "kind": {
                                            "enum": [
                                                "TriggerAuthentication",
                                                "ClusterTriggerAuthentication",
                                            ]
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
    "TriggerAuthentication": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "keda.sh/v1alpha1"},
            "metadata": {"type": "object", "required": ["name"]},
            "spec": {
                "type": "object",
                "required": ["secretTargetRef"],
                "additionalProperties": False,
                "properties": {
                    "secretTargetRef": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["parameter", "name", "key"],
                            "additionalProperties": False,
                            "properties": {
                                k: {"type": "string"} for k in ("parameter", "name", "key")
                            },
                        },
                    }
                },
            },
        },
    },
}
# Metadata each scaler needs (KEDA's scaler documentation), and what it may read from an
# authentication instead.
TRIGGER_METADATA = {
    "redis": {"required": {"listName", "listLength"}, "one_of": {"address", "host"}},
    "rabbitmq": {"required": {"queueName", "mode", "value", "protocol"}, "one_of": {"host"}},
    "metrics-api": {"required": {"url", "valueLocation", "targetValue"}, "one_of": {"url"}},
}


def test_the_keda_objects_are_what_keda_accepts(rendered):
    keda = [o for o in rendered if o["apiVersion"].startswith("keda.sh/")]
    assert {o["kind"] for o in keda} == {"ScaledObject", "TriggerAuthentication"}
    auth_params = {
        o["metadata"]["name"]: {ref["parameter"] for ref in o["spec"]["secretTargetRef"]}
        for o in objects_of(rendered, "TriggerAuthentication")
    }
    for obj in keda:
        jsonschema.validate(obj, KEDA_SCHEMAS[obj["kind"]])
    for scaled in objects_of(rendered, "ScaledObject"):
        for trigger in scaled["spec"]["triggers"]:
            need = TRIGGER_METADATA[trigger["type"]]
            auth = trigger.get("authenticationRef")
            given = set(trigger["metadata"]) | (auth_params[auth["name"]] if auth else set())
            assert need["required"] <= given, trigger
            assert need["one_of"] & given, trigger
        behavior = scaled["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
        as_hpa = {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "behavior-check"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "x"},
                "maxReplicas": 2,
                "behavior": behavior,
            },
        }
        kubernetes_validate.validate(as_hpa, KUBERNETES_VERSIONS[-1], strict=True)


def test_the_yaml_is_lint_clean():
    lint_config = YamlLintConfig(file=str(ROOT / ".yamllint"))
    files = sorted(KUBE.rglob("*.yaml"))
    assert len(files) >= 15
    problems = [
        f"{path.relative_to(ROOT)}:{problem.line}: {problem.message}"
        for path in files
        for problem in linter.run(path.read_text(), lint_config, str(path))
    ]
    assert problems == []


def test_yamllint_would_catch_a_problem():
    lint_config = YamlLintConfig(file=str(ROOT / ".yamllint"))
    assert list(linter.run("a: 1\na: 2\nb:   yes\n", lint_config))


# --- what runs ----------------------------------------------------------------------------


def test_the_parts_are_all_there(rendered):
    kinds = {(o["kind"], o["metadata"]["name"]) for o in rendered}
    assert {
        ("Deployment", "invoice-agent-api"),
        ("Deployment", "invoice-agent-worker"),
        ("Deployment", "invoice-agent-flower"),
        ("Job", "invoice-agent-migrate"),
        ("Service", "invoice-agent-api"),
        ("Service", "invoice-agent-flower"),
        ("ConfigMap", "invoice-agent-config"),
        ("PodDisruptionBudget", "invoice-agent-api"),
        ("PodDisruptionBudget", "invoice-agent-worker"),
        ("HorizontalPodAutoscaler", "invoice-agent-api"),
        ("ScaledObject", "invoice-agent-worker"),
    } <= kinds
    # Redis, PostgreSQL and the broker are the cluster's or the cloud's, not ours
    assert not {"StatefulSet", "PersistentVolumeClaim", "Secret"} & {o["kind"] for o in rendered}


def make_run_command(process: str) -> list[str]:
    """What `make run` starts for `process` (scripts/run.py), without paths and local ports."""
    spec = importlib.util.spec_from_file_location("make_run", ROOT / "scripts" / "run.py")
    make_run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_run)
    argv = make_run.commands(Settings.from_env({}, dotenv_path=None), "/venv/bin/python")[process]
    argv[0] = Path(argv[0]).name  # /venv/bin/gunicorn -> gunicorn
    return [arg for arg in argv if not arg.startswith(("--port=", "--address="))]


@pytest.mark.parametrize("component", ["api", "worker", "flower"])
def test_each_process_runs_as_make_run_starts_it(rendered, component):
    command = container(rendered, component)["command"]
    assert [
        arg for arg in command if not arg.startswith(("--port=", "--address="))
    ] == make_run_command(component)


def test_the_worker_serves_the_chat_queue_before_the_batch_queue(rendered):
    command = container(rendered, "worker")["command"]
    assert command[command.index("-Q") + 1] == f"{INTERACTIVE_QUEUE},{BATCH_QUEUE}"
    assert command[command.index("-P") + 1] == "gevent"


def test_every_process_uses_one_image(rendered):
    images = {container(rendered, c)["image"] for c in ("api", "worker", "flower", "migrate")}
    assert len(images) == 1


def test_production_runs_a_pinned_release():
    images = {container(render("production"), c)["image"] for c in ("api", "worker", "migrate")}
    (image,) = images
    name, _, tag = image.rpartition(":")
    assert "/" in name and tag and tag != "latest"


# --- settings and secrets -----------------------------------------------------------------


def test_the_configmap_holds_only_known_settings_that_validate(rendered):
    data = config(rendered)
    known = {name.upper() for name in Settings.model_fields}
    assert set(data) <= known, set(data) - known
    assert all(isinstance(value, str) for value in data.values())
    Settings.from_env(data, dotenv_path=None)  # raises ConfigurationError if they conflict


def test_no_secret_value_is_written_anywhere():
    secretish = re.compile(r"PASSWORD|SECRET|_TOKEN$|^API_KEYS$|BASIC_AUTH|ACCESS_KEY")
    for name in OVERLAYS:
        objects = render(name)
        for workload in objects_of(objects, "Deployment") + objects_of(objects, "Job"):
            for each in pod_spec(workload)["containers"]:
                for variable in each.get("env", []):
                    if "value" in variable:
                        assert not secretish.search(variable["name"]), variable
                        assert not CREDENTIAL_IN_URL.search(variable["value"]), variable
                    else:
                        ref = variable["valueFrom"]["secretKeyRef"]
                        assert ref["name"] in SECRET_NAMES
        for key, value in config(objects).items():
            assert not secretish.search(key) and not key.endswith("_URL"), key
            assert not CREDENTIAL_IN_URL.search(value)
    # and no file holds one: the example only has placeholders
    for path in KUBE.rglob("*"):
        if path.is_file():
            for password in CREDENTIAL_IN_URL.findall(path.read_text()):
                assert path.name == "secret.env.example" and password == "CHANGE-ME", path


@pytest.mark.parametrize("key", ["REDIS_URL", "DATABASE_URL", "API_KEYS", "FLOWER_BASIC_AUTH"])
def test_credentials_come_from_a_required_secret_key(rendered, key):
    users = [
        variable
        for component in ("api", "worker", "flower", "migrate")
        for variable in container(rendered, component).get("env", [])
        if variable["name"] == key
    ]
    assert users
    for variable in users:
        ref = variable["valueFrom"]["secretKeyRef"]
        assert (ref["name"], ref["key"], ref.get("optional", False)) == (
            "invoice-agent",
            key,
            False,
        )


def test_each_process_gets_only_the_secrets_it_needs(rendered):
    def secret_keys(component):
        return {
            v["name"] for v in container(rendered, component).get("env", []) if "valueFrom" in v
        }

    assert secret_keys("migrate") == {"DATABASE_URL"}
    assert "API_KEYS" not in secret_keys("worker") | secret_keys("flower")
    assert "FLOWER_BASIC_AUTH" not in secret_keys("api") | secret_keys("worker")
    assert "DATABASE_URL" not in secret_keys("flower")


def test_production_requires_its_broker_url():
    objects = render("production")
    for component in ("api", "worker", "flower"):
        (broker,) = [
            v for v in container(objects, component)["env"] if v["name"] == "CELERY_BROKER_URL"
        ]
        assert broker["valueFrom"]["secretKeyRef"].get("optional") is False
    assert config(objects)["LLM_PROVIDER"] == "bedrock"  # no silent fall-back to offline


def test_the_production_secret_example_covers_every_required_key():
    example = OVERLAYS["production"] / "secret.env.example"
    lines = [line for line in example.read_text().splitlines() if line and line[0] != "#"]
    given = dict(line.split("=", 1) for line in lines)
    needed = {key for name, key in secret_refs(render("production")) if name == "invoice-agent"}
    assert set(given) == needed
    assert given["REDIS_URL"] == "redis+sentinel://h1:26379,h2:26379,h3:26379/mymaster/0"
    assert given["CELERY_BROKER_URL"].startswith("amqp://")
    assert "secret.env" in (KUBE / ".gitignore").read_text().split()


def test_the_docs_name_every_secret_key_and_how_to_create_it():
    text = DOCS.read_text()
    assert "kubectl create secret generic invoice-agent" in text
    for name in OVERLAYS:
        for secret, key in secret_refs(render(name)):
            assert f"`{key}`" in text, key
            assert secret in text


# --- probes -------------------------------------------------------------------------------


def test_every_long_running_container_has_resources_and_probes(rendered):
    for deployment in objects_of(rendered, "Deployment"):
        for each in pod_spec(deployment)["containers"]:
            assert {"cpu", "memory"} <= set(each["resources"]["requests"]), each["name"]
            assert {"cpu", "memory"} <= set(each["resources"]["limits"]), each["name"]
            assert {"livenessProbe", "readinessProbe", "startupProbe"} <= set(each), each["name"]
    (job,) = objects_of(rendered, "Job")
    (migrate,) = pod_spec(job)["containers"]
    assert {"cpu", "memory"} <= set(migrate["resources"]["limits"])
    assert job["spec"]["activeDeadlineSeconds"] > 0  # a one-off task's "liveness"


def test_api_readiness_is_health_and_liveness_does_not_need_redis(rendered):
    api = container(rendered, "api")
    assert api["readinessProbe"]["httpGet"]["path"] == "/api/health"
    # /api/health answers 503 while Redis is down: a liveness probe on it would restart every
    # API pod during a Redis outage. Liveness and startup only ask that gunicorn listens.
    for probe in ("livenessProbe", "startupProbe"):
        assert api[probe] != api["readinessProbe"]
        assert api[probe]["tcpSocket"]["port"] == "http"
    assert api["ports"] == [{"name": "http", "containerPort": int(config(rendered)["PORT"])}]


def test_worker_probes_ask_the_probe_module(rendered):
    worker = container(rendered, "worker")
    assert worker["livenessProbe"]["exec"]["command"] == ["python", "-m", "worker.probe", "live"]
    assert worker["startupProbe"]["exec"]["command"] == ["python", "-m", "worker.probe", "live"]
    assert worker["readinessProbe"]["exec"]["command"] == ["python", "-m", "worker.probe", "ready"]
    # the note the probes read is written where the pod can write: its /tmp volume
    (probe_file,) = [v["value"] for v in worker["env"] if v["name"] == "WORKER_PROBE_FILE"]
    mounts = {m["mountPath"] for m in worker["volumeMounts"]}
    assert str(Path(probe_file).parent) in mounts


def test_the_probe_command_works_as_the_kubelet_runs_it(tmp_path):
    """The probe command of the manifests, run as-is: no heartbeat yet means not live."""
    worker = container(render("base"), "worker")
    argv = worker["livenessProbe"]["exec"]["command"]
    done = subprocess.run(
        [sys.executable, *argv[1:]],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "WORKER_PROBE_FILE": str(tmp_path / "none.json")},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1 and "no heartbeat" in done.stdout


def test_flower_is_never_served_without_a_password(rendered):
    flower = container(rendered, "flower")
    (auth,) = [v for v in flower["env"] if v["name"] == "FLOWER_BASIC_AUTH"]
    assert auth["valueFrom"]["secretKeyRef"].get("optional", False) is False
    assert flower["livenessProbe"]["httpGet"]["path"] == "/healthcheck"  # needs no login
    for service in objects_of(rendered, "Service"):
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
    assert not objects_of(rendered, "Ingress")


# --- stopping gracefully ------------------------------------------------------------------


def gunicorn_setting(name: str) -> int:
    tree = ast.parse((ROOT / "api" / "gunicorn.conf.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} is not set in api/gunicorn.conf.py")


def test_the_api_drains_then_finishes_its_requests_before_it_is_killed(rendered):
    api = container(rendered, "api")
    sleep = api["lifecycle"]["preStop"]["exec"]["command"]
    assert sleep[0] == "sleep" and int(sleep[1]) >= 5
    grace = pod_spec(one(rendered, "Deployment", "invoice-agent-api"))[
        "terminationGracePeriodSeconds"
    ]
    assert grace >= int(sleep[1]) + gunicorn_setting("graceful_timeout") + 10
    assert gunicorn_setting("graceful_timeout") > 30  # longer than the longest long-poll


def test_a_stopping_worker_has_time_to_finish_its_longest_turn(rendered):
    settings = Settings.from_env(config(rendered), dotenv_path=None)
    worker = pod_spec(one(rendered, "Deployment", "invoice-agent-worker"))
    assert worker["terminationGracePeriodSeconds"] >= settings.job_time_limit + 30
    # Celery's warm shutdown starts on SIGTERM itself: nothing may delay or replace it
    assert "lifecycle" not in container(rendered, "worker")


# --- scaling and disruptions --------------------------------------------------------------


def selects(selector: dict, workload: dict) -> bool:
    labels = workload["spec"]["template"]["metadata"]["labels"]
    return selector["matchLabels"].items() <= labels.items()


def test_disruption_budgets_cover_the_api_and_the_workers(rendered):
    budgets = objects_of(rendered, "PodDisruptionBudget")
    deployments = {d["metadata"]["name"]: d for d in objects_of(rendered, "Deployment")}
    covered = set()
    for budget in budgets:
        matched = [n for n, d in deployments.items() if selects(budget["spec"]["selector"], d)]
        assert len(matched) == 1, budget["metadata"]["name"]
        covered |= set(matched)
        assert budget["spec"]["maxUnavailable"] == 1
    assert covered == {"invoice-agent-api", "invoice-agent-worker"}


def test_the_api_scales_on_cpu_and_the_workers_on_their_queues(rendered):
    (hpa,) = objects_of(rendered, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "invoice-agent-api",
    }
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]

    (scaled,) = objects_of(rendered, "ScaledObject")
    assert scaled["spec"]["scaleTargetRef"]["name"] == "invoice-agent-worker"
    assert 2 <= scaled["spec"]["minReplicaCount"] < scaled["spec"]["maxReplicaCount"]
    triggers = scaled["spec"]["triggers"]
    queues = {t["metadata"].get("listName") or t["metadata"].get("queueName") for t in triggers}
    # the chat queue, and the turns on hand (batch items wait in Redis, not in the broker)
    assert queues == {INTERACTIVE_QUEUE, None}
    assert BATCH_QUEUE not in queues
    auths = {a["metadata"]["name"] for a in objects_of(rendered, "TriggerAuthentication")}
    assert {t["authenticationRef"]["name"] for t in triggers if "authenticationRef" in t} == auths

    # the autoscalers own the replica counts: an apply must not reset them
    for name in ("invoice-agent-api", "invoice-agent-worker"):
        assert "replicas" not in one(rendered, "Deployment", name)["spec"]


def test_the_base_scales_on_redis_lists_and_production_on_rabbitmq_queues():
    base = one(render("base"), "ScaledObject", "invoice-agent-worker")["spec"]["triggers"]
    assert {t["type"] for t in base} == {"redis", "metrics-api"}
    production = render("production")
    triggers = one(production, "ScaledObject", "invoice-agent-worker")["spec"]["triggers"]
    assert {t["type"] for t in triggers} == {"rabbitmq", "metrics-api"}
    rabbit = [t for t in triggers if t["type"] == "rabbitmq"]
    # through the management API, so the turns being run count as well as those waiting
    assert {t["metadata"]["protocol"] for t in rabbit} == {"http"}
    assert not any(t["metadata"].get("excludeUnacknowledged") == "true" for t in rabbit)
    concurrency = int(config(production)["WORKER_CONCURRENCY"])
    assert all(0 < int(t["metadata"]["value"]) <= concurrency for t in rabbit)


@pytest.mark.parametrize("overlay", ["base", "production"])
def test_the_turns_on_hand_are_read_from_the_api_as_it_answers(overlay, client):
    rendered = render(overlay)
    triggers = one(rendered, "ScaledObject", "invoice-agent-worker")["spec"]["triggers"]
    (on_hand,) = [t["metadata"] for t in triggers if t["type"] == "metrics-api"]
    url = urlsplit(on_hand["url"])
    service = one(rendered, "Service", "invoice-agent-api")
    # KEDA runs in its own namespace: the address must be the Service's full name and port
    namespace = service["metadata"].get("namespace", "invoice-agent")
    assert url.hostname == f"invoice-agent-api.{namespace}.svc.cluster.local"
    assert (url.port or 80) == service["spec"]["ports"][0]["port"]
    assert 0 < int(on_hand["targetValue"]) <= int(config(rendered)["WORKER_CONCURRENCY"])
    client.post("/api/chat", json={"message": "waiting"})
    value = client.get(url.path).get_json()
    for key in on_hand["valueLocation"].split("."):
        value = value[key]
    assert value == 1


# --- security -----------------------------------------------------------------------------


def test_pods_run_unprivileged_on_a_read_only_root(rendered):
    for workload in objects_of(rendered, "Deployment") + objects_of(rendered, "Job"):
        spec = pod_spec(workload)
        name = workload["metadata"]["name"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] == 10001, name  # the Dockerfile's user
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False, name
        volumes = {v["name"]: v for v in spec["volumes"]}
        for each in spec["containers"]:
            context = each["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            # the one writable place is a bounded scratch volume on /tmp
            (tmp,) = [m for m in each["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert "sizeLimit" in volumes[tmp["name"]]["emptyDir"]


def test_production_enforces_the_restricted_pod_security_standard():
    objects = render("production")
    (namespace,) = objects_of(objects, "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == {
        namespace["metadata"]["name"]
    }


# --- migrations ---------------------------------------------------------------------------


def test_the_migration_job_runs_alembic_once_per_release(rendered):
    job = one(rendered, "Job", "invoice-agent-migrate")
    spec = job["spec"]
    assert container(rendered, "migrate")["command"] == ["python", "-m", "core.records.migrate"]
    assert pod_spec(job)["restartPolicy"] == "Never"
    assert 0 < spec["backoffLimit"] <= 5
    assert spec["ttlSecondsAfterFinished"] > 0  # cleaned up: a later apply can create it anew
    # no process waits on the Job by name: the deploy script orders them instead
    for deployment in objects_of(rendered, "Deployment"):
        assert "initContainers" not in pod_spec(deployment)


def first_stage(objects: list[dict]) -> set[tuple[str, str]]:
    """What `kubectl apply -l 'app.kubernetes.io/component in (namespace,config,migrate)'`
    selects: the objects deploy.sh applies before the migration runs."""
    stage = {"namespace", "config", "migrate"}
    return {
        (o["kind"], o["metadata"]["name"])
        for o in objects
        if o["metadata"].get("labels", {}).get("app.kubernetes.io/component") in stage
    }


def test_the_first_deploy_stage_is_the_migration_and_what_it_needs(rendered):
    stage = first_stage(rendered)
    assert ("Job", "invoice-agent-migrate") in stage
    assert not {kind for kind, _ in stage} & {"Deployment", "ScaledObject", "Service"}
    if objects_of(rendered, "Namespace"):
        assert ("Namespace", "invoice-agent") in stage


FAKE_KUBECTL = """#!/usr/bin/env bash
echo "$*" >> "$FAKE_KUBECTL_LOG"
if [[ "$*" == *" get job "* ]]; then printf '%s' "$FAKE_JOB_STATE"; fi
"""


def run_deploy(tmp_path, job_state: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    fake = tmp_path / "kubectl"
    fake.write_text(FAKE_KUBECTL)
    fake.chmod(0o755)
    log = tmp_path / "calls.log"
    done = subprocess.run(
        ["bash", str(KUBE / "deploy.sh"), str(OVERLAYS["production"])],
        env={
            "PATH": os.environ["PATH"],
            "KUBECTL": str(fake),
            "FAKE_KUBECTL_LOG": str(log),
            "FAKE_JOB_STATE": job_state,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done, log.read_text().splitlines() if log.exists() else []


def test_deploy_migrates_before_anything_else_rolls_out(tmp_path):
    done, calls = run_deploy(tmp_path, "SuccessCriteriaMet Complete")
    assert done.returncode == 0, done.stderr
    verbs = [
        call.split()[2] if call.startswith("--namespace") else call.split()[0] for call in calls
    ]
    assert verbs[:4] == ["delete", "apply", "get", "apply"]
    assert "job invoice-agent-migrate" in calls[0]
    assert "--selector app.kubernetes.io/component in (namespace,config,migrate)" in calls[1]
    assert "--selector" not in calls[3]  # then everything
    assert [c.split()[-2] for c in calls[4:]] == [
        "deployment/invoice-agent-api",
        "deployment/invoice-agent-worker",
        "deployment/invoice-agent-flower",
    ]


def test_a_failed_migration_stops_the_deploy(tmp_path):
    done, calls = run_deploy(tmp_path, "Failed")
    assert done.returncode == 1
    assert "the migration failed: nothing else was changed" in done.stderr
    assert sum(call.startswith("apply") for call in calls) == 1  # only the first stage


def test_the_migration_can_run_twice(tmp_path):
    """The Job may run again (a retry, a re-apply): upgrading a current schema changes nothing."""
    pytest.importorskip("core.records.migrate", reason="core.records.migrate is not merged yet")
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'records.db'}",
    }
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "core.records.migrate"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr


# --- docs ---------------------------------------------------------------------------------


def test_the_readme_links_the_kubernetes_guide():
    assert "(docs/kubernetes.md)" in (ROOT / "README.md").read_text()
    text = DOCS.read_text()
    for needed in ("deploy.sh", "KEDA", "PodDisruptionBudget", "readiness", "liveness"):
        assert needed in text
