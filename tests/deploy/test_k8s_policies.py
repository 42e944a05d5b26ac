"""Policy tests for the Kubernetes manifests in deploy/k8s.

Every overlay is rendered with ``kubectl kustomize`` (offline; no cluster) and the rendered
resources are checked against the rules of the deployment: pinned images, probes and resource
limits, non-root read-only containers, no stored secrets, Kafka topics consistent with
``contracts.topics`` and with the consumers' autoscalers, graceful termination, only intake and
the staff workspace exposed (over TLS), default-deny networking and who may talk to whom. The
last test runs ``deploy/k8s/validate.sh`` (strict schema validation with kubernetes-validate).

The tests skip, with the reason, only when no kubectl with kustomize v5+ is available
(``deploy/k8s/install-tools.sh`` installs one).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.topics import CATALOGUE, all_topics

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = REPO_ROOT / "deploy" / "k8s"
OVERLAYS = sorted(p.parent.name for p in (K8S_DIR / "overlays").glob("*/kustomization.yaml"))
OPERATIONS_DOC = REPO_ROOT / "docs" / "operations.md"

SERVICES = ("intake", "routing", "notify", "audit")
# Web applications served by `infohus serve` that own no domain data, no topics and no migrations
# (infohus/cli.py). Their only table is the signed-in sessions, in a schema of their own.
WEB_APPS = ("workspace",)
APPS = SERVICES + WEB_APPS
HTTP_PORTS = {"intake": 8000, "routing": 8001, "notify": 8002, "audit": 8003, "workspace": 8004}
# Shutdown after SIGTERM: uvicorn drains HTTP for up to 10 s (infohus/cli.py), then the Kafka
# consumers stop within 15 s (graceful_timeout in infohus/kit/messaging.py). A web app has no
# consumers.
GRACEFUL_SHUTDOWN_S = 10 + 15
SHUTDOWN_S = {app: GRACEFUL_SHUTDOWN_S for app in SERVICES} | {app: 10 for app in WEB_APPS}
# The only Deployments with a public route, each on its own host, and the API each may call.
EXPOSED = {"infohus-intake", "infohus-workspace"}
WORKSPACE_CALLS = ("routing", "intake", "audit", "notify")
TOPIC_REPLICAS = 3
TOPIC_MIN_ISR = 2

# Every Secret the manifests may reference. None is stored in the repository; each one is
# created out of band and documented in docs/operations.md. A new reference must be added
# here and there.
EXTERNAL_SECRETS = {
    "infohus-intake-db",
    "infohus-routing-db",
    "infohus-notify-db",
    "infohus-audit-db",
    # The audit pods' own login role (member of infohus_audit_app; infohus_audit owns the schema).
    "infohus-audit-svc-db",
    # The workspace's login role: owns the schema of its signed-in sessions.
    "infohus-workspace-db",
    "infohus-notify-smtp",
    "infohus-routing-cpr-hmac",
    "infohus-audit-signing-key",
    "infohus-auth-session",
    "infohus-intake-tls",
    # The workspace's certificate and its client secret at the identity provider (optional key).
    "infohus-workspace-tls",
    "infohus-workspace-oidc",
    # Notify's client secret for its service identity at routing (client credentials).
    "infohus-notify-oidc",
    "infohus-backup-s3",
    # Created by the CloudNativePG operator (the cluster's CA certificate, public).
    "infohus-pg-ca",
}

POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet", "CronJob"}
LONG_RUNNING_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
CRD_API_VERSIONS = {
    "Kafka": "kafka.strimzi.io/v1",
    "KafkaNodePool": "kafka.strimzi.io/v1",
    "KafkaTopic": "kafka.strimzi.io/v1",
    "Cluster": "postgresql.cnpg.io/v1",
    "Database": "postgresql.cnpg.io/v1",
    "ScheduledBackup": "postgresql.cnpg.io/v1",
    "ObjectStore": "barmancloud.cnpg.io/v1",
    "PrometheusRule": "monitoring.coreos.com/v1",
    "ServiceMonitor": "monitoring.coreos.com/v1",
}
Docs = tuple[dict[str, Any], ...]

# TOKEN, but not TOKEN_URL or token-url: the address of a token endpoint is public.
SECRET_LIKE_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN(?![_-]URL)|PRIVATE|SIGNING_KEY|HMAC_KEY|API_KEY)", re.I)


# --- rendering -------------------------------------------------------------------------------


def _kustomize_major(kubectl: str) -> int | None:
    try:
        out = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True,
                             timeout=60, check=False).stdout
    except OSError:
        return None
    match = re.search(r"^Kustomize Version: v(\d+)\.", out, re.M)
    return int(match.group(1)) if match else None


@cache
def find_kubectl() -> str | None:
    """KUBECTL, else kubectl on PATH with kustomize v5+, else .tools/bin/kubectl."""
    if os.environ.get("KUBECTL"):
        return os.environ["KUBECTL"]
    for candidate in (shutil.which("kubectl"), str(REPO_ROOT / ".tools" / "bin" / "kubectl")):
        if candidate and Path(candidate).is_file() and (_kustomize_major(candidate) or 0) >= 5:
            return candidate
    return None


@cache
def render(overlay: str) -> Docs:
    kubectl = find_kubectl()
    if kubectl is None:
        pytest.skip("no kubectl with kustomize v5+ (run deploy/k8s/install-tools.sh)")
    result = subprocess.run([kubectl, "kustomize", str(K8S_DIR / "overlays" / overlay)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"kubectl kustomize overlays/{overlay} failed:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def docs(overlay: str) -> Docs:
    return render(overlay)


# --- helpers ---------------------------------------------------------------------------------


def of_kind(docs: Docs, kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d.get("kind") == kind]


def named(docs: Docs, kind: str, name: str) -> dict[str, Any]:
    found = [d for d in of_kind(docs, kind) if d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def pod_template(workload: dict[str, Any]) -> dict[str, Any]:
    holder = workload["spec"]["jobTemplate"]["spec"] if workload["kind"] == "CronJob" else workload["spec"]
    template: dict[str, Any] = holder["template"]
    return template


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = pod_template(workload)["spec"]
    return spec


def workloads(docs: Docs, kinds: set[str] = POD_TEMPLATE_KINDS) -> list[dict[str, Any]]:
    return [d for d in docs if d.get("kind") in kinds]


def containers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from spec.get("initContainers") or []
    yield from spec.get("containers") or []


def all_containers(docs: Docs) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for workload in workloads(docs):
        spec = pod_spec(workload)
        for container in containers(spec):
            yield f"{workload['kind']}/{workload['metadata']['name']}/{container['name']}", spec, container


def env_value(container: dict[str, Any], name: str) -> Any:
    for entry in container.get("env") or []:
        if entry["name"] == name:
            return entry.get("value", entry.get("valueFrom"))
    return None


def configmap_data(docs: Docs, prefix: str) -> dict[str, str]:
    """Data of the generated ConfigMap whose name is ``prefix`` plus kustomize's hash suffix."""
    found = [c for c in of_kind(docs, "ConfigMap") if re.fullmatch(re.escape(prefix) + r"(-[a-z0-9]{10})?",
                                                                   c["metadata"]["name"])]
    assert len(found) == 1, f"expected one ConfigMap {prefix}, found {len(found)}"
    data: dict[str, str] = found[0].get("data") or {}
    return data


def service_deployment(docs: Docs, service: str) -> dict[str, Any]:
    return named(docs, "Deployment", f"infohus-{service}")


def hpa_for(docs: Docs, deployment: str) -> dict[str, Any] | None:
    for hpa in of_kind(docs, "HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        if ref["kind"] == "Deployment" and ref["name"] == deployment:
            return hpa
    return None


def max_replicas(docs: Docs, service: str) -> int:
    """The most pods a service can run: its autoscaler's maxReplicas, else the fixed replica count."""
    deployment = service_deployment(docs, service)
    hpa = hpa_for(docs, deployment["metadata"]["name"])
    if hpa is not None:
        return int(hpa["spec"]["maxReplicas"])
    return int(deployment["spec"].get("replicas", 1))


def min_replicas(docs: Docs, service: str) -> int:
    deployment = service_deployment(docs, service)
    hpa = hpa_for(docs, deployment["metadata"]["name"])
    if hpa is not None:
        return int(hpa["spec"].get("minReplicas", 1))
    return int(deployment["spec"].get("replicas", 1))


def topic_name(topic: dict[str, Any]) -> str:
    return str(topic["spec"].get("topicName") or topic["metadata"]["name"])


def labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


# --- structure -------------------------------------------------------------------------------


def test_dev_and_prod_overlays_exist() -> None:
    assert {"dev", "prod"} <= set(OVERLAYS)


def test_each_service_has_deployment_service_pdb_account_and_migration(docs: Docs) -> None:
    for service in SERVICES:
        name = f"infohus-{service}"
        deployment = service_deployment(docs, service)
        named(docs, "Service", name)
        named(docs, "ServiceAccount", name)
        pdb = named(docs, "PodDisruptionBudget", name)
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert labels_match(pdb["spec"]["selector"]["matchLabels"], pod_labels), name
        job = named(docs, "Job", f"infohus-migrate-{service}")
        assert pod_spec(job)["containers"][0]["args"] == ["migrate", service]
        assert pod_spec(job)["restartPolicy"] == "Never"


def test_each_web_app_has_deployment_service_pdb_and_account_but_no_data(docs: Docs) -> None:
    """A web app owns no domain data and no topics: no migration Job, no Kafka or SMTP flows. It reaches
    PostgreSQL for its shared sessions only (test_the_workspace_keeps_its_sessions_in_its_own_schema)."""
    for app in WEB_APPS:
        name = f"infohus-{app}"
        deployment = service_deployment(docs, app)
        named(docs, "Service", name)
        named(docs, "ServiceAccount", name)
        pdb = named(docs, "PodDisruptionBudget", name)
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert labels_match(pdb["spec"]["selector"]["matchLabels"], pod_labels), name
        assert not [j for j in of_kind(docs, "Job") if j["metadata"]["name"] == f"infohus-migrate-{app}"]
        assert hpa_for(docs, name) is None, f"{name}: consumes nothing, needs no autoscaler"
        assert pod_labels.get("infohus.dk/otel-client") == "true", name
        assert pod_labels.get("infohus.dk/oidc-client") == "true", name
        assert pod_labels.get("infohus.dk/postgres-client") == "true", name
        for label in ("infohus.dk/kafka-client", "infohus.dk/smtp-client"):
            assert label not in pod_labels, f"{name}: {label}"


def test_kafka_consumers_have_autoscalers_that_own_the_replica_count(docs: Docs) -> None:
    consumers = {c for spec in CATALOGUE for c in spec.consumers}
    assert consumers, "the topic catalogue names no consumer"
    for service in consumers:
        deployment = service_deployment(docs, service)
        hpa = hpa_for(docs, deployment["metadata"]["name"])
        assert hpa is not None, f"{service} consumes Kafka topics but has no HorizontalPodAutoscaler"
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        # A replicas field would reset the autoscaler's choice on every apply.
        assert "replicas" not in deployment["spec"], f"{service}: the HPA, not the Deployment, sets replicas"


def test_selectors_and_references_resolve(docs: Docs) -> None:
    pod_labels = [w["spec"]["template"]["metadata"]["labels"] for w in workloads(docs, LONG_RUNNING_KINDS)]
    for service in of_kind(docs, "Service"):
        selector = service["spec"]["selector"]
        assert any(labels_match(selector, labels) for labels in pod_labels), service["metadata"]["name"]
    for pdb in of_kind(docs, "PodDisruptionBudget"):
        selector = pdb["spec"]["selector"]["matchLabels"]
        assert any(labels_match(selector, labels) for labels in pod_labels), pdb["metadata"]["name"]
    deployments = {d["metadata"]["name"] for d in of_kind(docs, "Deployment")}
    for hpa in of_kind(docs, "HorizontalPodAutoscaler"):
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
    service_ports = {(s["metadata"]["name"], p.get("name"))
                     for s in of_kind(docs, "Service") for p in s["spec"]["ports"]}
    for ingress in of_kind(docs, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert (backend["name"], backend["port"]["name"]) in service_ports


def test_referenced_configmaps_exist(docs: Docs) -> None:
    configmaps = {c["metadata"]["name"] for c in of_kind(docs, "ConfigMap")}
    referenced: set[str] = set()
    for _, spec, container in all_containers(docs):
        referenced |= {e["configMapRef"]["name"] for e in container.get("envFrom") or []
                       if "configMapRef" in e}
        referenced |= {e["valueFrom"]["configMapKeyRef"]["name"] for e in container.get("env") or []
                       if "configMapKeyRef" in (e.get("valueFrom") or {})}
        referenced |= {v["configMap"]["name"] for v in spec.get("volumes") or [] if "configMap" in v}
    for kafka in of_kind(docs, "Kafka"):
        metrics = kafka["spec"]["kafka"].get("metricsConfig")
        if metrics:
            referenced.add(metrics["valueFrom"]["configMapKeyRef"]["name"])
    assert referenced - configmaps == set()


# --- images ----------------------------------------------------------------------------------


def _image_is_pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    name_and_tag = image.rsplit("/", 1)[-1]
    if ":" not in name_and_tag:
        return False
    tag = name_and_tag.rsplit(":", 1)[1]
    return bool(tag) and tag != "latest"


def test_images_are_pinned_never_latest(docs: Docs) -> None:
    images = {where: container["image"] for where, _, container in all_containers(docs)}
    images |= {f"Cluster/{c['metadata']['name']}": c["spec"]["imageName"] for c in of_kind(docs, "Cluster")
               if "imageName" in c["spec"]}
    images |= {f"Kafka/{k['metadata']['name']}": k["spec"]["kafka"]["image"] for k in of_kind(docs, "Kafka")
               if "image" in k["spec"]["kafka"]}
    assert images
    unpinned = {where: image for where, image in images.items() if not _image_is_pinned(image)}
    assert unpinned == {}


def test_image_pin_rule() -> None:
    assert _image_is_pinned("registry.example.org:5000/infohus/infohus:0.1.0")
    assert _image_is_pinned("infohus@sha256:" + "0" * 64)
    assert not _image_is_pinned("infohus")
    assert not _image_is_pinned("registry.example.org:5000/infohus")
    assert not _image_is_pinned("infohus:latest")


# --- probes, resources, security -------------------------------------------------------------


def test_every_container_has_requests_and_limits(docs: Docs) -> None:
    for where, _, container in all_containers(docs):
        resources = container.get("resources") or {}
        for bound in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                assert resource in (resources.get(bound) or {}), f"{where}: no {bound}.{resource}"


def test_every_long_running_container_has_liveness_and_readiness_probes(docs: Docs) -> None:
    # Jobs (the migrations) run to completion; probes do not apply to them.
    for workload in workloads(docs, LONG_RUNNING_KINDS):
        for container in pod_spec(workload)["containers"]:
            where = f"{workload['metadata']['name']}/{container['name']}"
            assert "livenessProbe" in container, f"{where}: no livenessProbe"
            assert "readinessProbe" in container, f"{where}: no readinessProbe"


def test_service_probes_use_the_health_endpoints(docs: Docs) -> None:
    for service in APPS:
        container = pod_spec(service_deployment(docs, service))["containers"][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert container["ports"][0]["containerPort"] == HTTP_PORTS[service]


def test_pods_run_as_non_root_with_a_read_only_root_filesystem(docs: Docs) -> None:
    for workload in workloads(docs):
        spec = pod_spec(workload)
        name = f"{workload['kind']}/{workload['metadata']['name']}"
        pod_security = spec.get("securityContext") or {}
        assert pod_security.get("runAsNonRoot") is True, f"{name}: runAsNonRoot"
        assert pod_security.get("runAsUser", 1) != 0, f"{name}: runs as uid 0"
        assert (pod_security.get("seccompProfile") or {}).get("type") == "RuntimeDefault", f"{name}: seccomp"
        for field in ("hostNetwork", "hostPID", "hostIPC"):
            assert not spec.get(field), f"{name}: {field}"
        assert not any("hostPath" in v for v in spec.get("volumes") or []), f"{name}: hostPath volume"
        assert spec.get("automountServiceAccountToken") is False, f"{name}: API token mounted"
        # Service links would put INFOHUS_<SERVICE>_PORT=tcp://... into the settings namespace.
        assert spec.get("enableServiceLinks") is False, f"{name}: enableServiceLinks"
        for container in containers(spec):
            where = f"{name}/{container['name']}"
            security = container.get("securityContext") or {}
            assert security.get("allowPrivilegeEscalation") is False, f"{where}: privilege escalation"
            assert security.get("readOnlyRootFilesystem") is True, f"{where}: writable root filesystem"
            assert security.get("privileged") is not True, f"{where}: privileged"
            assert security.get("runAsUser", 1) != 0, f"{where}: runs as uid 0"
            assert security.get("runAsNonRoot", True) is True, f"{where}: runAsNonRoot false"
            assert (security.get("capabilities") or {}).get("drop") == ["ALL"], f"{where}: capabilities"
            assert not (security.get("capabilities") or {}).get("add"), f"{where}: adds capabilities"


def test_infohus_containers_get_a_writable_tmp(docs: Docs) -> None:
    for where, spec, container in all_containers(docs):
        volumes = {v["name"]: v for v in spec.get("volumes") or []}
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts") or []}
        assert "/tmp" in mounts, f"{where}: no /tmp mount"
        assert "emptyDir" in volumes[mounts["/tmp"]], f"{where}: /tmp is not an emptyDir"


def test_namespaces_enforce_the_restricted_pod_security_standard(docs: Docs) -> None:
    namespaces = of_kind(docs, "Namespace")
    assert len(namespaces) == 1
    assert namespaces[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


# --- termination -----------------------------------------------------------------------------


def _prestop_seconds(container: dict[str, Any]) -> int:
    pre_stop = (container.get("lifecycle") or {}).get("preStop") or {}
    if "sleep" in pre_stop:
        return int(pre_stop["sleep"]["seconds"])
    assert "exec" not in pre_stop and "httpGet" not in pre_stop, "only a preStop sleep is budgeted here"
    return 0


def test_termination_grace_period_exceeds_the_graceful_shutdown(docs: Docs) -> None:
    for service in APPS:
        spec = pod_spec(service_deployment(docs, service))
        grace = spec["terminationGracePeriodSeconds"]
        prestop = max(_prestop_seconds(c) for c in spec["containers"])
        if f"infohus-{service}" in EXPOSED:
            assert prestop > 0, f"{service}: no preStop sleep (the Ingress sends requests until it drops the pod)"
        assert grace > SHUTDOWN_S[service] + prestop, f"{service}: grace period {grace} s too short"


# --- secrets ---------------------------------------------------------------------------------


def test_no_secret_is_rendered(docs: Docs) -> None:
    assert of_kind(docs, "Secret") == []


def test_no_secret_manifest_or_key_material_is_stored_under_deploy() -> None:
    for path in sorted((REPO_ROOT / "deploy").rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        assert "-----BEGIN" not in text, f"{path}: key material"
        if path.suffix in {".yaml", ".yml"}:
            for doc in yaml.safe_load_all(text):
                if isinstance(doc, dict):
                    assert doc.get("kind") != "Secret", f"{path}: a Secret is stored in the repository"
                    assert "secretGenerator" not in doc, f"{path}: kustomize secretGenerator"


def test_secret_values_are_only_referenced(docs: Docs) -> None:
    for where, _, container in all_containers(docs):
        for entry in container.get("env") or []:
            if SECRET_LIKE_NAME.search(entry["name"]):
                assert "secretKeyRef" in (entry.get("valueFrom") or {}), (
                    f"{where}: {entry['name']} set in plain text")
            # A database URL must carry no credentials (user:password@host).
            if entry["name"].endswith("_DATABASE_URL"):
                assert "@" not in entry["value"], f"{where}: credentials in {entry['name']}"
    for configmap in of_kind(docs, "ConfigMap"):
        for key in configmap.get("data") or {}:
            assert not SECRET_LIKE_NAME.search(key), f"ConfigMap {configmap['metadata']['name']}: {key}"


def _referenced_secrets(docs: Docs) -> set[str]:
    names: set[str] = set()
    for _, spec, container in all_containers(docs):
        names |= {e["valueFrom"]["secretKeyRef"]["name"] for e in container.get("env") or []
                  if "secretKeyRef" in (e.get("valueFrom") or {})}
        names |= {e["secretRef"]["name"] for e in container.get("envFrom") or [] if "secretRef" in e}
        names |= {v["secret"]["secretName"] for v in spec.get("volumes") or [] if "secret" in v}
    names |= {t["secretName"] for i in of_kind(docs, "Ingress") for t in i["spec"].get("tls") or []}
    for cluster in of_kind(docs, "Cluster"):
        names |= {r["passwordSecret"]["name"] for r in cluster["spec"].get("managed", {}).get("roles", [])
                  if "passwordSecret" in r}
    for store in of_kind(docs, "ObjectStore"):
        credentials = store["spec"]["configuration"].get("s3Credentials") or {}
        names |= {ref["name"] for ref in credentials.values() if isinstance(ref, dict) and "name" in ref}
    return names


def test_referenced_secrets_are_known_and_documented(docs: Docs) -> None:
    referenced = _referenced_secrets(docs)
    assert referenced - EXTERNAL_SECRETS == set(), (
        "add new Secrets to EXTERNAL_SECRETS and to docs/operations.md")
    operations = OPERATIONS_DOC.read_text(encoding="utf-8")
    assert {name for name in referenced if name not in operations} == set()


def _login_role(docs: Docs, workload: dict[str, Any]) -> str:
    """The CloudNativePG managed role a workload logs in as (PGUSER and PGPASSWORD from its Secret)."""
    container = pod_spec(workload)["containers"][0]
    user = env_value(container, "PGUSER")["secretKeyRef"]
    password = env_value(container, "PGPASSWORD")["secretKeyRef"]
    assert (user["name"], user["key"], password["key"]) == (password["name"], "username", "password")
    cluster = named(docs, "Cluster", "infohus-pg")
    roles = {r["passwordSecret"]["name"]: r for r in cluster["spec"]["managed"]["roles"] if "passwordSecret" in r}
    role = roles.get(password["name"])
    assert role is not None, f"{workload['metadata']['name']}: {password['name']} belongs to no managed role"
    assert role.get("login") is True and role.get("ensure", "present") == "present"
    return str(role["name"])


def test_the_signing_key_and_the_database_roles_share_one_secret_each(docs: Docs) -> None:
    audit = pod_spec(service_deployment(docs, "audit"))["containers"][0]
    key = env_value(audit, "INFOHUS_AUDIT_CHECKPOINT_SIGNING_KEY")
    assert key == {"secretKeyRef": {"name": "infohus-audit-signing-key", "key": "checkpoint-signing-key.pem"}}
    owners = {s["name"]: s["owner"] for d in of_kind(docs, "Database") for s in d["spec"]["schemas"]}
    for service in SERVICES:
        # Migrations run as the schema owner.
        assert _login_role(docs, named(docs, "Job", f"infohus-migrate-{service}")) == owners[service]
        if service != "audit":
            assert _login_role(docs, service_deployment(docs, service)) == owners[service]
    # The workspace creates its session table itself, so it logs in as the owner of its schema.
    for app in WEB_APPS:
        assert _login_role(docs, service_deployment(docs, app)) == owners[app]


def test_audit_runs_as_an_insert_only_member_of_infohus_audit_app(docs: Docs) -> None:
    """services/audit/README.md: production connects as a login role that is a member of
    infohus_audit_app (SELECT/INSERT only, granted by the migration), never as the schema owner.
    infohus_audit_app is a managed role so that it exists before the migration grants to it."""
    cluster = named(docs, "Cluster", "infohus-pg")
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    app_role = roles.get("infohus_audit_app")
    assert app_role is not None and app_role.get("ensure", "present") == "present"
    assert app_role.get("login", False) is False and "passwordSecret" not in app_role
    login = roles[_login_role(docs, service_deployment(docs, "audit"))]
    assert login["name"] != "infohus_audit", "the audit service logs in as the schema owner"
    assert "infohus_audit_app" in login.get("inRoles", []) and login.get("inherit", True) is True
    for privilege in ("superuser", "createrole", "createdb", "bypassrls", "replication"):
        assert not login.get(privilege), f"{login['name']}: {privilege}"


# --- service configuration -------------------------------------------------------------------


def test_services_are_configured_for_their_own_name_and_port(docs: Docs) -> None:
    for service in SERVICES:
        container = pod_spec(service_deployment(docs, service))["containers"][0]
        assert container["args"] == ["serve", service]
        own = f"INFOHUS_{service.upper()}_"
        for entry in container.get("env") or []:
            other = [s for s in APPS
                     if s != service and entry["name"].startswith(f"INFOHUS_{s.upper()}_")]
            assert not other, f"{service}: sets {entry['name']}"
        assert env_value(container, own + "HTTP_HOST") == "0.0.0.0"
        assert env_value(container, own + "HTTP_PORT") == str(HTTP_PORTS[service])
        assert env_value(container, own + "DB_SCHEMA") == service
        assert env_value(container, own + "MIGRATE_ON_START") == "false"
        assert env_value(container, own + "DATABASE_URL").startswith("postgresql+asyncpg://infohus-pg-rw:5432/")


def test_the_workspace_calls_routing_intake_and_audit_inside_the_cluster(docs: Docs) -> None:
    container = pod_spec(service_deployment(docs, "workspace"))["containers"][0]
    assert container["args"] == ["serve", "workspace"]
    assert env_value(container, "INFOHUS_WORKSPACE_HTTP_HOST") == "0.0.0.0"
    assert env_value(container, "INFOHUS_WORKSPACE_HTTP_PORT") == str(HTTP_PORTS["workspace"])
    for service in WORKSPACE_CALLS:
        port = named(docs, "Service", f"infohus-{service}")["spec"]["ports"][0]["port"]
        assert port == HTTP_PORTS[service]
        url = env_value(container, f"INFOHUS_WORKSPACE_{service.upper()}_URL")
        assert url == f"http://infohus-{service}:{port}", url
    for entry in container.get("env") or []:
        other = [s for s in SERVICES if entry["name"].startswith(f"INFOHUS_{s.upper()}_")]
        assert not other, f"workspace: sets {entry['name']}"


def test_the_workspace_shares_its_sessions_so_the_ingress_pins_no_browser(docs: Docs) -> None:
    """Sessions live in PostgreSQL, shared by every workspace pod (sign-out ends them everywhere, a
    rollout signs nobody out): the Ingress needs no session affinity, and must not hide a regression
    to per-pod sessions behind it."""
    container = pod_spec(service_deployment(docs, "workspace"))["containers"][0]
    url = env_value(container, "INFOHUS_WORKSPACE_SESSION_DATABASE_URL")
    assert isinstance(url, str) and url.startswith("postgresql+asyncpg://infohus-pg-rw:5432/"), url
    annotations = named(docs, "Ingress", "infohus-workspace")["metadata"].get("annotations") or {}
    sticky = sorted(k for k in annotations if re.search(r"/(affinity|session-cookie|upstream-hash-by)", k))
    assert sticky == [], f"the workspace Ingress pins browsers to pods: {sticky}"


def test_the_workspace_redirects_to_its_own_host_over_https(docs: Docs) -> None:
    """The redirect URLs the identity provider sends the browser back to (and that are registered
    there) are on the workspace's Ingress host, over https."""
    (host,) = {rule["host"] for rule in named(docs, "Ingress", "infohus-workspace")["spec"]["rules"]}
    client = configmap_data(docs, "infohus-workspace")
    assert client["INFOHUS_AUTH_OIDC_REDIRECT_URL"] == f"https://{host}/auth/callback"
    assert client["INFOHUS_AUTH_OIDC_POST_LOGOUT_REDIRECT_URL"] == f"https://{host}/"
    assert client["INFOHUS_AUTH_OIDC_CLIENT_ID"]
    assert client["INFOHUS_AUTH_OIDC_BROWSER_LOGIN"] == "true"
    # The client is the workspace's alone: the other services mount no browser sign-in.
    assert not {k for k in configmap_data(docs, "infohus-auth") if k.startswith("INFOHUS_AUTH_OIDC_CLIENT")}
    for service in SERVICES:
        container = pod_spec(service_deployment(docs, service))["containers"][0]
        refs = {e["configMapRef"]["name"] for e in container.get("envFrom") or [] if "configMapRef" in e}
        assert not any(r.startswith("infohus-workspace") for r in refs), service


def test_common_settings_are_production_safe(docs: Docs) -> None:
    common = configmap_data(docs, "infohus-common")
    assert common["INFOHUS_ENVIRONMENT"] == "production"
    assert common["INFOHUS_KAFKA_ACKS"] == "all"
    assert common["INFOHUS_KAFKA_ENABLE_IDEMPOTENCE"] == "true"
    # Topics come from KafkaTopic resources only.
    assert common["INFOHUS_KAFKA_CREATE_TOPICS"] == "false"
    kafka = of_kind(docs, "Kafka")[0]["metadata"]["name"]
    assert common["INFOHUS_KAFKA_BOOTSTRAP_SERVERS"] == f"{kafka}-kafka-bootstrap:9092"
    services = {s["metadata"]["name"]: s for s in of_kind(docs, "Service")}
    endpoint = re.fullmatch(r"http://([a-z0-9-]+):(\d+)/v1/traces", common["INFOHUS_OTEL_ENDPOINT"])
    assert endpoint, common["INFOHUS_OTEL_ENDPOINT"]
    assert int(endpoint.group(2)) in {p["port"] for p in services[endpoint.group(1)]["spec"]["ports"]}


# --- Kafka -----------------------------------------------------------------------------------


def test_kafka_topics_are_exactly_the_catalogue(docs: Docs) -> None:
    prefix = configmap_data(docs, "infohus-common").get("INFOHUS_KAFKA_TOPIC_PREFIX", "")
    declared = sorted(topic_name(t) for t in of_kind(docs, "KafkaTopic"))
    assert declared == sorted(all_topics(prefix))


def test_kafka_topics_replicate_three_times_with_two_in_sync(docs: Docs) -> None:
    for topic in of_kind(docs, "KafkaTopic"):
        name = topic_name(topic)
        assert topic["spec"]["replicas"] == TOPIC_REPLICAS, name
        assert int(topic["spec"]["config"]["min.insync.replicas"]) == TOPIC_MIN_ISR, name
    kafka = of_kind(docs, "Kafka")[0]
    config = kafka["spec"]["kafka"]["config"]
    assert int(config["default.replication.factor"]) == TOPIC_REPLICAS
    assert int(config["min.insync.replicas"]) == TOPIC_MIN_ISR
    assert config["auto.create.topics.enable"] is False
    brokers = sum(p["spec"]["replicas"] for p in of_kind(docs, "KafkaNodePool")
                  if "broker" in p["spec"]["roles"])
    assert brokers >= TOPIC_REPLICAS, "fewer brokers than topic replicas"


def test_partitions_cover_the_largest_consumer_replica_count(docs: Docs) -> None:
    prefix = configmap_data(docs, "infohus-common").get("INFOHUS_KAFKA_TOPIC_PREFIX", "")
    partitions = {topic_name(t): int(t["spec"]["partitions"]) for t in of_kind(docs, "KafkaTopic")}
    for spec in CATALOGUE:
        for consumer in spec.consumers:
            most = max_replicas(docs, consumer)
            assert partitions[prefix + spec.name] >= most, (
                f"{spec.name}: {partitions[prefix + spec.name]} partitions for up to {most} {consumer} pods")


def test_kafka_runs_in_kraft_mode_with_node_pools(docs: Docs) -> None:
    kafka = of_kind(docs, "Kafka")
    assert len(kafka) == 1
    name = kafka[0]["metadata"]["name"]
    pools = of_kind(docs, "KafkaNodePool")
    assert pools and all(p["metadata"]["labels"]["strimzi.io/cluster"] == name for p in pools)
    assert sum(p["spec"]["replicas"] for p in pools if "controller" in p["spec"]["roles"]) >= 3
    assert all(t["metadata"]["labels"]["strimzi.io/cluster"] == name for t in of_kind(docs, "KafkaTopic"))
    assert all(listener["type"] == "internal" for listener in kafka[0]["spec"]["kafka"]["listeners"])


def test_custom_resources_use_current_api_versions_and_known_fields(docs: Docs) -> None:
    """A hand-kept subset of the upstream CRD schemas (Strimzi v1, CloudNativePG v1), which
    kubernetes-validate cannot check: catches misspelt or removed fields in the spec."""
    for doc in docs:
        if doc["kind"] in CRD_API_VERSIONS:
            assert doc["apiVersion"] == CRD_API_VERSIONS[doc["kind"]], doc["kind"]
    for topic in of_kind(docs, "KafkaTopic"):
        assert set(topic["spec"]) <= {"partitions", "replicas", "config", "topicName"}
    for pool in of_kind(docs, "KafkaNodePool"):
        assert set(pool["spec"]) <= {"replicas", "roles", "storage", "resources", "jvmOptions", "template"}
        assert set(pool["spec"]["roles"]) <= {"controller", "broker"}
    for kafka in of_kind(docs, "Kafka"):
        assert set(kafka["spec"]) <= {"kafka", "entityOperator", "clusterCa", "clientsCa", "cruiseControl",
                                      "kafkaExporter", "maintenanceTimeWindows"}
        # Removed in the v1 API (node pools carry them) or with ZooKeeper.
        assert not {"replicas", "storage", "resources"} & set(kafka["spec"]["kafka"])
        assert "zookeeper" not in kafka["spec"]
    for cluster in of_kind(docs, "Cluster"):
        assert cluster["spec"]["instances"] >= 1
        assert "barmanObjectStore" not in cluster["spec"].get("backup", {}), "use the Barman Cloud plugin"
        assert cluster["spec"].get("enableSuperuserAccess") is False
    databases = of_kind(docs, "Database")
    assert {s["name"]: s["owner"] for d in databases for s in d["spec"]["schemas"]} == {
        app: f"infohus_{app}" for app in APPS}


# --- PostgreSQL --------------------------------------------------------------------------------

# infohus/kit/db.py creates engines with SQLAlchemy's default pool: 5 connections + 10 overflow.
POOL_CONNECTIONS_PER_POD = 5 + 10
MIGRATION_JOB_CONNECTIONS = 2
# superuser_reserved_connections and CloudNativePG's own connections (instance manager,
# replication, monitoring), with a margin.
RESERVED_CONNECTIONS = 20


def test_postgres_connection_budget_fits_the_largest_deployment(docs: Docs) -> None:
    cluster = named(docs, "Cluster", "infohus-pg")
    max_connections = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
    limits = {r["name"]: int(r.get("connectionLimit", -1)) for r in cluster["spec"]["managed"]["roles"]}
    needed: dict[str, int] = {}
    for service in APPS:
        # The workspace's session store: SQLAlchemy's default pool too (no Job).
        pods = _login_role(docs, service_deployment(docs, service))
        needed[pods] = needed.get(pods, 0) + max_replicas(docs, service) * POOL_CONNECTIONS_PER_POD
        if service in SERVICES:
            job = _login_role(docs, named(docs, "Job", f"infohus-migrate-{service}"))
            needed[job] = needed.get(job, 0) + MIGRATION_JOB_CONNECTIONS
    for role, connections in needed.items():
        limit = limits[role]
        assert limit == -1 or limit >= connections, f"{role}: connectionLimit {limit} < {connections}"
    total = RESERVED_CONNECTIONS + sum(needed.values())
    assert total <= max_connections, f"up to {total} connections, max_connections is {max_connections}"


# --- exposure and network ----------------------------------------------------------------------


def _backends(ingress: dict[str, Any]) -> set[str]:
    return {path["backend"]["service"]["name"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]}


def test_only_intake_and_the_workspace_are_exposed(docs: Docs) -> None:
    ingresses = of_kind(docs, "Ingress")
    # One Ingress per exposed app, each app on hosts of its own.
    assert sorted(b for i in ingresses for b in _backends(i)) == sorted(EXPOSED)
    hosts = {backend: {rule["host"] for rule in i["spec"]["rules"]} for i in ingresses for backend in _backends(i)}
    assert all(hosts.values()) and not hosts["infohus-intake"] & hosts["infohus-workspace"], hosts
    for ingress in ingresses:
        assert "defaultBackend" not in ingress["spec"]
        assert ingress["spec"]["ingressClassName"] == "nginx"
    for service in of_kind(docs, "Service"):
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", service["metadata"]["name"]
        assert not service["spec"].get("externalIPs"), service["metadata"]["name"]
    for workload in workloads(docs):
        for container in containers(pod_spec(workload)):
            assert not any("hostPort" in p for p in container.get("ports") or [])


def test_a_default_deny_network_policy_covers_every_pod(docs: Docs) -> None:
    deny = [p for p in of_kind(docs, "NetworkPolicy")
            if p["spec"]["podSelector"] == {} and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
            and not p["spec"].get("ingress") and not p["spec"].get("egress")]
    assert deny, "no default-deny NetworkPolicy"


def test_every_exposed_app_is_served_over_tls(overlay: str, docs: Docs) -> None:
    """Every host of the workspace Ingress (in every environment: its cookies are Secure and its
    redirect URLs https) and, outside dev, of intake's is covered by a TLS entry."""
    for ingress in of_kind(docs, "Ingress"):
        name = ingress["metadata"]["name"]
        if name == "infohus-intake" and overlay == "dev":
            continue
        covered = {host for tls in ingress["spec"].get("tls") or [] for host in tls["hosts"]}
        hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
        assert hosts <= covered, f"{name}: {sorted(hosts - covered)} without TLS"
        assert all(tls.get("secretName") for tls in ingress["spec"]["tls"]), name


def _pod(name: str) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": {"app.kubernetes.io/name": f"infohus-{name}"}}}


def test_only_the_intended_connections_reach_the_services(docs: Docs) -> None:
    """intake accepts connections from the ingress controller and the workspace; the workspace from
    the ingress controller only; routing from notify's delivery watchdog and the workspace (port
    8001); audit from the workspace (8003: recorded disclosures, a case's disclosures);
    notify from the workspace (8002: an administrator's undelivered mails).
    Health endpoints are probed by the kubelet, and the auditor
    page is reached through `kubectl port-forward`. Each allowed flow is also actually opened."""
    app_pods = {s: service_deployment(docs, s)["spec"]["template"]["metadata"]["labels"] for s in APPS}
    from_ingress_controller = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    allowed = {"intake": [from_ingress_controller, _pod("workspace")],
               "workspace": [from_ingress_controller],
               "routing": [_pod("notify"), _pod("workspace")],
               "audit": [_pod("workspace")], "notify": [_pod("workspace")]}
    admitted: dict[str, list[dict[str, Any]]] = {}
    for policy in of_kind(docs, "NetworkPolicy"):
        selector = policy["spec"]["podSelector"].get("matchLabels", {})
        for rule in policy["spec"].get("ingress") or []:
            for service, labels in app_pods.items():
                if not labels_match(selector, labels):
                    continue
                name = policy["metadata"]["name"]
                assert service in allowed, f"{name} admits traffic to {service}"
                peers = rule.get("from") or []
                assert len(peers) == 1 and peers[0] in allowed[service], f"{name}: {service} admits {peers}"
                port = HTTP_PORTS[service]
                assert rule.get("ports") == [{"protocol": "TCP", "port": port}], f"{name}: {service} ports"
                admitted.setdefault(service, []).append(peers[0])
    assert {s: sorted(map(str, p)) for s, p in admitted.items()} == {
        s: sorted(map(str, p)) for s, p in allowed.items()}


def test_the_workspace_may_only_call_routing_intake_and_audit(docs: Docs) -> None:
    """Every egress the workspace has: DNS, the collector, HTTPS to the identity provider (any
    address, port 443 only), PostgreSQL (its sessions), and routing, intake and audit on their HTTP
    ports. Not notify, Kafka or SMTP."""
    labels = service_deployment(docs, "workspace")["spec"]["template"]["metadata"]["labels"]
    found: set[str] = set()
    for policy in of_kind(docs, "NetworkPolicy"):
        if "Egress" not in policy["spec"]["policyTypes"]:
            continue
        if not labels_match(policy["spec"]["podSelector"].get("matchLabels", {}), labels):
            continue
        for rule in policy["spec"].get("egress") or []:
            for peer in rule.get("to") or ["anywhere"]:
                found |= {str((peer, p["port"])) for p in rule.get("ports") or [{"port": "any"}]}
    dns = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
           "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
    collector = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "otel-collector"}}}
    postgres = {"podSelector": {"matchLabels": {"cnpg.io/cluster": "infohus-pg"}}}
    expected = {str((dns, 53)), str((collector, 4317)), str((collector, 4318)), str(("anywhere", 443)),
                str((postgres, 5432)), *(str((_pod(s), HTTP_PORTS[s])) for s in WORKSPACE_CALLS)}
    assert found == expected


# --- environments ----------------------------------------------------------------------------


def test_prod_is_highly_available() -> None:
    if "prod" not in OVERLAYS:
        pytest.skip("no prod overlay")
    docs = render("prod")
    for service in APPS:
        assert min_replicas(docs, service) >= 2, f"{service}: a single pod in prod"
    assert named(docs, "Cluster", "infohus-pg")["spec"]["instances"] >= 3
    plugins = named(docs, "Cluster", "infohus-pg")["spec"].get("plugins") or []
    assert any(p.get("isWALArchiver") for p in plugins), "prod PostgreSQL has no WAL archive"
    assert of_kind(docs, "ScheduledBackup"), "prod PostgreSQL has no scheduled backup"
    for app in EXPOSED:
        assert named(docs, "Ingress", app)["spec"].get("tls"), f"prod Ingress {app} without TLS"


def test_dev_never_mails_the_real_mailboxes() -> None:
    if "dev" not in OVERLAYS:
        pytest.skip("no dev overlay")
    notify = configmap_data(render("dev"), "infohus-notify")
    addresses = [v for k, v in notify.items() if k.startswith("INFOHUS_NOTIFY_MAILBOX_")]
    assert addresses and not any(a.lower().endswith("@ishoj.dk") for a in addresses)


# --- schema validation -----------------------------------------------------------------------


def test_validate_script_passes() -> None:
    kubectl = find_kubectl()
    if kubectl is None:
        pytest.skip("no kubectl with kustomize v5+ (run deploy/k8s/install-tools.sh)")
    env = dict(os.environ, KUBECTL=kubectl)
    result = subprocess.run(["bash", str(K8S_DIR / "validate.sh")], capture_output=True, text=True,
                            timeout=600, check=False, env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_audit_maintenance_runs_nightly_as_the_service_role_never_the_owner(docs: Docs) -> None:
    for name in ("infohus-audit-purge", "infohus-audit-verify"):
        cronjob = named(docs, "CronJob", name)
        assert cronjob["spec"]["concurrencyPolicy"] == "Forbid" and cronjob["spec"]["timeZone"] == "Europe/Copenhagen"
        (container,) = pod_spec(cronjob)["containers"]
        secrets = {e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"]
                   if e["name"] in ("PGUSER", "PGPASSWORD")}
        assert secrets == {"infohus-audit-svc-db"}, f"{name} must not log in as the schema owner"
