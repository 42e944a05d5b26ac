"""The manifests and the code agree: each service accepts the environment its manifests give it.

For every overlay, each service's Deployment (``infohus serve <service>``) and migration Job
(``infohus migrate <service>``, which loads the same settings class), and the staff workspace's
Deployment (``infohus serve workspace``; no migrations, no Job), is rendered with ``kubectl
kustomize``, and the container's environment is resolved the way the kubelet does it: ``envFrom``
ConfigMaps, then ``env`` (plain values with ``$(VAR)`` expansion, ConfigMap keys from the rendered
ConfigMaps, Secret keys replaced by dummy values of the shape the real Secret must have). The
service's ``Settings`` class, and ``AuthSettings`` where the service uses ``infohus.kit.auth``, is
then instantiated with exactly that environment: the production checks in the code
(``production_problems``, the sign-in checks) run against what the manifests really set.

Alongside: every ``INFOHUS_*`` variable the manifests set is one the process reads (a misspelt name
would otherwise be ignored silently: the settings classes use ``extra="ignore"``), file paths exist
in the image or in a mounted volume, and the in-cluster and external addresses in the settings are
reachable through the NetworkPolicies.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import secrets
import ssl
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import certifi
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from pydantic import AliasChoices, BaseModel, ValidationError
from pydantic_settings import BaseSettings
from sqlalchemy.engine import make_url

from infohus.kit.auth.sessions import SESSION_TABLE
from infohus.kit.auth.settings import AuthMode, AuthSettings
from infohus.kit.settings import Environment
from tests.deploy.test_k8s_policies import (
    APPS,
    HTTP_PORTS,
    OVERLAYS,
    REPO_ROOT,
    SERVICES,
    WEB_APPS,
    WORKSPACE_CALLS,
    Docs,
    labels_match,
    named,
    of_kind,
    pod_spec,
    pod_template,
    render,
)

# The image's working directory: deploy/docker/Dockerfile copies the repository's infohus/,
# contracts/, services/ and config/ to /app, so /app/<path> in a manifest is <path> here.
IMAGE_ROOT = "/app/"

# --- dummy Secret values, by the shape each real Secret must have -----------------------------------


def _random_chars(length: int = 48) -> str:
    return secrets.token_urlsafe(length)[:length]


def _ed25519_pem() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


# (Secret, key) -> a fresh value of the right shape. The database Secrets (infohus-*-db) are
# handled apart: their username must be the CloudNativePG role that uses the Secret. A Secret
# reference with no entry here fails the test: add its shape here, the Secret to EXTERNAL_SECRETS
# in test_k8s_policies.py, to docs/operations.md and to overlays/dev/create-dev-secrets.sh.
SECRET_SHAPES: dict[tuple[str, str], Callable[[], str]] = {
    ("infohus-notify-smtp", "username"): lambda: "infohus-relay-user",
    ("infohus-notify-smtp", "password"): _random_chars,
    ("infohus-routing-cpr-hmac", "cpr-hmac-key"): lambda: secrets.token_hex(32),
    ("infohus-audit-signing-key", "checkpoint-signing-key.pem"): _ed25519_pem,
    ("infohus-auth-session", "session-secret"): _random_chars,
    ("infohus-workspace-oidc", "client-secret"): _random_chars,
    ("infohus-notify-oidc", "client-secret"): _random_chars,
}


def _database_roles(docs: Docs) -> dict[str, str]:
    """Secret name -> the CloudNativePG managed role whose password it holds."""
    cluster = named(docs, "Cluster", "infohus-pg")
    return {r["passwordSecret"]["name"]: r["name"] for r in cluster["spec"]["managed"]["roles"]
            if "passwordSecret" in r}


def dummy_secret(docs: Docs, name: str, key: str) -> str:
    if name.endswith("-db"):
        roles = _database_roles(docs)
        assert name in roles, f"database Secret {name} belongs to no CloudNativePG managed role"
        assert key in {"username", "password"}, f"{name}: unexpected key {key}"
        return roles[name] if key == "username" else secrets.token_hex(24)
    shape = SECRET_SHAPES.get((name, key))
    assert shape is not None, (
        f"no dummy for Secret {name} key {key}: add its shape to SECRET_SHAPES (and the Secret to "
        "EXTERNAL_SECRETS, docs/operations.md and create-dev-secrets.sh)")
    return shape()


# --- prod placeholders ------------------------------------------------------------------------------

# Prod carries the deployment inputs only the municipality can give in the reserved .invalid domain
# (deploy/k8s/validate.sh lists them). Some are refused on purpose: notify's e-mail validation rejects
# special-use domains, so notify does not start until its addresses are filled in
# (test_prod_mail_placeholders_keep_notify_from_starting). To check everything else, the test puts a
# valid example value in place of each placeholder: the reserved example.org (RFC 2606), which the
# validation accepts (the dev overlay's addresses use it). Dev is checked as rendered, unchanged.
PLACEHOLDER = re.compile(r"\.invalid\b")


def fill_placeholders(env: dict[str, str]) -> dict[str, str]:
    return {name: PLACEHOLDER.sub(".org", value) for name, value in env.items()}


# --- the kubelet's view of a container's environment ----------------------------------------------

_VARIABLE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def _expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes dependent variables: $(NAME) of a variable defined before, $$ for a literal $."""
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))
    return _VARIABLE.sub(replace, value)


def container_env(docs: Docs, workload: dict[str, Any], container: dict[str, Any]) -> dict[str, str]:
    configmaps = {c["metadata"]["name"]: c.get("data") or {} for c in of_kind(docs, "ConfigMap")}
    where = f"{workload['kind']}/{workload['metadata']['name']}"
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix", "")
        ref = source.get("configMapRef")
        assert ref is not None, f"{where}: envFrom {source}: only ConfigMaps (Secrets are referenced key by key)"
        assert ref["name"] in configmaps or ref.get("optional"), f"{where}: no ConfigMap {ref['name']}"
        env.update({prefix + key: value for key, value in configmaps.get(ref["name"], {}).items()})
    # Values defined in env win over envFrom (Kubernetes' rule for duplicate names).
    for entry in container.get("env") or []:
        name, source = entry["name"], entry.get("valueFrom")
        if source is None:
            env[name] = _expand(str(entry.get("value", "")), env)
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            data = configmaps.get(ref["name"])
            assert (data is not None and ref["key"] in data) or ref.get("optional"), (
                f"{where}: {name} refers to a missing ConfigMap key {ref['name']}/{ref['key']}")
            if data is not None and ref["key"] in data:
                env[name] = data[ref["key"]]
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            env[name] = dummy_secret(docs, ref["name"], ref["key"])
        elif "fieldRef" in source:
            env[name] = {"metadata.name": f"{workload['metadata']['name']}-0",
                         "metadata.namespace": workload["metadata"].get("namespace", "default")
                         }.get(source["fieldRef"]["fieldPath"], "field")
        else:
            pytest.fail(f"{where}: {name}: unsupported valueFrom {source}")
    return env


# --- what a process reads -------------------------------------------------------------------------


@cache
def uses_kit_auth(service: str) -> bool:
    """Whether the service's code signs users in through infohus.kit.auth (and so reads INFOHUS_AUTH_*)."""
    code = (REPO_ROOT / "services" / service).rglob("*.py")
    return any(re.search(r"\b(install_auth|AuthSettings)\b", path.read_text(encoding="utf-8")) for path in code)


def settings_class(service: str) -> type[BaseSettings]:
    cls: type[BaseSettings] = importlib.import_module(f"services.{service}.settings").Settings
    return cls


def env_names(cls: type[BaseModel], prefix: str | None = None) -> set[str]:
    """Environment variables a pydantic-settings class reads, nested settings classes included."""
    own = str(cls.model_config.get("env_prefix", "")) if prefix is None else prefix
    names: set[str] = set()
    for field_name, field in cls.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {choice.upper() for choice in alias.choices if isinstance(choice, str)}
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.add((own + field_name).upper())
        nested = field.annotation
        if isinstance(nested, type) and issubclass(nested, BaseSettings):
            names |= env_names(nested)
    return names


# Scheduled `infohus` commands per service: (CronJob name, its arguments).
CRONJOBS: dict[str, list[tuple[str, list[str]]]] = {
    "audit": [("infohus-audit-purge", ["audit", "purge"]),
              ("infohus-audit-verify", ["audit", "verify", "--require-checkpoint"])],
}


def workloads_of(docs: Docs, service: str) -> list[tuple[list[str], dict[str, Any]]]:
    """(arguments, workload): the Deployment (serve), the migration Job and the service's CronJobs;
    a web app (no database) has the Deployment only."""
    serve = (["serve", service], named(docs, "Deployment", f"infohus-{service}"))
    if service in WEB_APPS:
        return [serve]
    return [serve, (["migrate", service], named(docs, "Job", f"infohus-migrate-{service}")),
            *((args, named(docs, "CronJob", name)) for name, args in CRONJOBS.get(service, []))]




def only_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """Exactly ``env`` as far as settings go: no INFOHUS_* of the test process survives."""
    for name in list(os.environ):
        if name.startswith("INFOHUS_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def load(monkeypatch: pytest.MonkeyPatch, cls: type[BaseSettings], env: dict[str, str], where: str) -> Any:
    only_env(monkeypatch, env)
    try:
        return cls()
    except ValidationError as error:
        pytest.fail(f"{where}: {cls.__name__} refuses the environment of the manifests:\n{error}")


# --- the tests --------------------------------------------------------------------------------------


@pytest.fixture(params=SERVICES)
def service(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_each_service_accepts_the_environment_of_its_manifests(
        overlay: str, service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = render(overlay)
    for args, workload in workloads_of(docs, service):
        command = args[0]
        where = f"{overlay}: {workload['kind']}/{workload['metadata']['name']}"
        container = pod_spec(workload)["containers"][0]
        assert container["args"] == args, where
        env = container_env(docs, workload, container)
        if overlay == "prod":
            env = fill_placeholders(env)
        env = {name: value.replace(IMAGE_ROOT, f"{REPO_ROOT}/", 1) if value.startswith(IMAGE_ROOT) else value
               for name, value in env.items()}

        settings = load(monkeypatch, settings_class(service), env, where)
        assert settings.environment is Environment.PRODUCTION, f"{where}: not production"
        assert settings.database_url.startswith("postgresql+asyncpg://"), where
        assert settings.db_schema == service, where
        if command == "serve":
            assert settings.migrate_on_start is False, f"{where}: migrates on start"
        if service == "audit":
            assert settings.private_key() is not None, f"{where}: no usable checkpoint signing key"
        if service == "notify":
            missing = [d for d, address in settings.mailboxes().items() if address is None]
            assert missing in ([], ["OOH_ESCALATION"]), f"{where}: no address for {missing}"

        # Sign-in: only `infohus serve` builds the HTTP app (install_auth); `infohus migrate` does not.
        if command == "serve" and uses_kit_auth(service):
            auth = load(monkeypatch, AuthSettings, env, where)
            assert auth.environment is Environment.PRODUCTION, where
            assert auth.mode is AuthMode.OIDC and auth.oidc_configured, where
            assert auth.cookie_secure, where


@pytest.fixture(params=APPS)
def app(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_workspace_accepts_the_environment_of_its_manifests(
        overlay: str, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = render(overlay)
    ((args, workload),) = workloads_of(docs, "workspace")
    where = f"{overlay}: {workload['metadata']['name']}"
    container = pod_spec(workload)["containers"][0]
    assert container["args"] == args == ["serve", "workspace"], where
    env = container_env(docs, workload, container)
    if overlay == "prod":
        env = fill_placeholders(env)
    settings = load(monkeypatch, settings_class("workspace"), env, where)
    assert settings.environment is Environment.PRODUCTION, f"{where}: not production"
    assert (settings.http_host, settings.http_port) == ("0.0.0.0", HTTP_PORTS["workspace"]), where
    for service in WORKSPACE_CALLS:
        assert getattr(settings, f"{service}_url") == f"http://infohus-{service}:{HTTP_PORTS[service]}", where
    # The design system is served from the image: the default path, which the Dockerfile fills.
    assert settings.web_assets_dir == REPO_ROOT / "services" / "workspace" / "web" / "node_modules", where
    assert uses_kit_auth("workspace")
    auth = load(monkeypatch, AuthSettings, env, where)
    assert auth.environment is Environment.PRODUCTION, where
    assert auth.mode is AuthMode.OIDC and auth.oidc_configured, where
    assert auth.cookie_secure, where
    assert auth.session_secret is not None, f"{where}: no session secret"
    assert env.get("INFOHUS_AUTH_OIDC_CLIENT_ID"), f"{where}: no OIDC client id"
    assert env.get("INFOHUS_AUTH_OIDC_CLIENT_SECRET"), f"{where}: no OIDC client secret reference"
    assert env["INFOHUS_AUTH_OIDC_REDIRECT_URL"].startswith("https://"), where
    assert env["INFOHUS_AUTH_OIDC_REDIRECT_URL"].endswith("/auth/callback"), where
    # Sessions shared by the replicas (the settings refuse production without them).
    assert settings.session_database_url == env["INFOHUS_WORKSPACE_SESSION_DATABASE_URL"], where
    assert make_url(settings.session_database_url).drivername == "postgresql+asyncpg", where


def test_the_workspace_refuses_production_without_a_shared_session_store(
        overlay: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The manifests' environment minus the session database (in-memory sessions), or with a SQLite
    file of one pod instead, is refused: replicas would not share sign-in and sign-out."""
    docs = render(overlay)
    ((_, workload),) = workloads_of(docs, "workspace")
    env = fill_placeholders(container_env(docs, workload, pod_spec(workload)["containers"][0]))
    name = "INFOHUS_WORKSPACE_SESSION_DATABASE_URL"
    for url, problem in ((None, "must name the database the replicas share their sessions in"),
                         ("sqlite+aiosqlite:////tmp/sessions.db", "must not be SQLite")):
        changed = {k: v for k, v in env.items() if k != name} | ({} if url is None else {name: url})
        only_env(monkeypatch, changed)
        with pytest.raises(ValidationError, match=f"unsafe production settings: {name} {problem}"):
            settings_class("workspace")()


def _asyncpg_connect_parameters(kwargs: dict[str, Any]) -> tuple[list[Any], Any]:
    """What asyncpg.connect(**kwargs) connects to and with (addresses, parameters), without connecting.

    Goes through asyncpg's own argument parsing (a private function: if asyncpg renames it, this
    test fails and needs the new name, which is better than trusting the URL unchecked)."""
    defaults = {name: p.default for name, p in inspect.signature(asyncpg.connect).parameters.items()
                if p.default is not inspect.Parameter.empty}
    parse = asyncpg.connect_utils._parse_connect_arguments
    accepted = inspect.signature(parse).parameters
    unknown = set(kwargs) - set(accepted)
    assert not unknown, f"asyncpg.connect() would refuse the keyword arguments {unknown}"
    addrs, params, _ = parse(**{name: value for name, value in (defaults | kwargs).items() if name in accepted})
    return list(addrs), params


def test_the_workspace_keeps_its_sessions_in_its_own_schema(
        overlay: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The session URL, as SQLAlchemy's asyncpg dialect hands it to asyncpg.connect (the store's engine
    is plain ``create_async_engine(url)``): the read-write Service, the database of the Database
    resource, the workspace's managed role from PGUSER/PGPASSWORD (no credentials in the URL), TLS
    verified against the cluster CA, and search_path the workspace's schema, so that the session
    table (created unqualified at start-up) lands there and nowhere else."""
    docs = render(overlay)
    ((_, workload),) = workloads_of(docs, "workspace")
    env = container_env(docs, workload, pod_spec(workload)["containers"][0])
    url = make_url(env["INFOHUS_WORKSPACE_SESSION_DATABASE_URL"])
    assert url.username is None and url.password is None, "credentials in the session URL"
    (database,) = of_kind(docs, "Database")
    owners = {s["name"]: s["owner"] for s in database["spec"]["schemas"]}
    assert owners.get("workspace") == env["PGUSER"], "the workspace must log in as the owner of its schema"

    assert url.drivername == "postgresql+asyncpg", url.drivername
    _, kwargs = url.get_dialect()().create_connect_args(url)
    for name in [n for n in os.environ if n.startswith("PG")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith("PG"):
            monkeypatch.setenv(name, value)
    assert env["PGSSLMODE"] == "verify-full"
    # The cluster CA is mounted in the pod only; any CA bundle shows that it is loaded and required.
    monkeypatch.setenv("PGSSLROOTCERT", certifi.where())
    addrs, params = _asyncpg_connect_parameters(dict(kwargs))
    assert addrs == [("infohus-pg-rw", 5432)]
    assert (params.database, params.user, params.password) == (database["spec"]["name"], env["PGUSER"],
                                                                env["PGPASSWORD"])
    assert params.server_settings == {"search_path": "workspace"}
    assert isinstance(params.ssl, ssl.SSLContext), "no TLS to PostgreSQL"
    assert params.ssl.verify_mode == ssl.CERT_REQUIRED and params.ssl.check_hostname
    assert SESSION_TABLE in (REPO_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")


def test_every_infohus_variable_is_one_the_process_reads(overlay: str, app: str) -> None:
    """A misspelt or misplaced INFOHUS_* variable would be ignored silently (extra="ignore")."""
    service = app
    docs = render(overlay)
    for (command, *_), workload in workloads_of(docs, service):
        readable = env_names(settings_class(service))
        if command == "serve" and uses_kit_auth(service):
            readable |= env_names(AuthSettings)
        container = pod_spec(workload)["containers"][0]
        env = container_env(docs, workload, container)
        unread = sorted(name for name in env if name.startswith("INFOHUS_") and name not in readable)
        assert unread == [], f"{overlay}: {workload['metadata']['name']} sets variables nothing reads: {unread}"


def test_file_paths_exist_in_the_image_or_a_mounted_volume(overlay: str, app: str) -> None:
    service = app
    docs = render(overlay)
    for _, workload in workloads_of(docs, service):
        spec = pod_spec(workload)
        container = spec["containers"][0]
        volumes = {v["name"]: v for v in spec.get("volumes") or []}
        mounts = {m["mountPath"].rstrip("/"): volumes[m["name"]] for m in container.get("volumeMounts") or []}
        for name, value in container_env(docs, workload, container).items():
            if not value.startswith("/"):
                continue
            where = f"{overlay}: {workload['metadata']['name']}: {name}={value}"
            if value.startswith(IMAGE_ROOT):
                assert (REPO_ROOT / value.removeprefix(IMAGE_ROOT)).is_file(), f"{where}: not in the image"
                continue
            mounted = [path for path in mounts if value.startswith(path + "/")]
            assert mounted, f"{where}: neither in the image nor in a mounted volume"
            volume = mounts[mounted[0]]
            items = (volume.get("secret") or volume.get("configMap") or {}).get("items")
            if items is not None:
                assert value.removeprefix(mounted[0] + "/") in {i["path"] for i in items}, f"{where}: no such item"


# --- reachability through the NetworkPolicies -------------------------------------------------------


def _port_matches(rule_ports: list[dict[str, Any]] | None, port: int) -> bool:
    return not rule_ports or any(p.get("port") in (None, port) and p.get("protocol", "TCP") == "TCP"
                                 for p in rule_ports)


def _peer_is_pod(peer: dict[str, Any], labels: dict[str, str]) -> bool:
    """A peer that selects a pod of the policy's own namespace with these labels."""
    if "namespaceSelector" in peer or "ipBlock" in peer or "podSelector" not in peer:
        return False
    return labels_match(peer["podSelector"].get("matchLabels") or {}, labels)


def _policies(docs: Docs, labels: dict[str, str], kind: str) -> list[dict[str, Any]]:
    return [p for p in of_kind(docs, "NetworkPolicy") if kind in p["spec"].get("policyTypes", [])
            and labels_match(p["spec"]["podSelector"].get("matchLabels") or {}, labels)]


def _egress_allows(docs: Docs, source: dict[str, str], target: dict[str, str], port: int) -> bool:
    return any(_port_matches(rule.get("ports"), port)
               and (not rule.get("to") or any(_peer_is_pod(peer, target) for peer in rule["to"]))
               for policy in _policies(docs, source, "Egress") for rule in policy["spec"].get("egress") or [])


def pod_may_connect(docs: Docs, source: dict[str, str], target: dict[str, str], port: int) -> bool:
    egress = _egress_allows(docs, source, target, port)
    ingress = any(_port_matches(rule.get("ports"), port)
                  and (not rule.get("from") or any(_peer_is_pod(peer, source) for peer in rule["from"]))
                  for policy in _policies(docs, target, "Ingress") for rule in policy["spec"].get("ingress") or [])
    return egress and ingress


def pod_may_leave_the_cluster(docs: Docs, source: dict[str, str], port: int) -> bool:
    """Egress to an address outside the cluster: a rule with no peer or with an ipBlock."""
    return any(_port_matches(rule.get("ports"), port)
               and (not rule.get("to") or any("ipBlock" in peer for peer in rule["to"]))
               for policy in _policies(docs, source, "Egress") for rule in policy["spec"].get("egress") or [])


def _target_port(docs: Docs, service: dict[str, Any], port: int) -> tuple[dict[str, str], int]:
    """Labels of the Service's pods and the container port behind the Service port."""
    match = [p for p in service["spec"]["ports"] if p["port"] == port]
    assert match, f"Service {service['metadata']['name']} has no port {port}"
    target = match[0].get("targetPort", port)
    selector = service["spec"]["selector"]
    for workload in of_kind(docs, "Deployment"):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        if labels_match(selector, labels):
            if isinstance(target, int):
                return labels, target
            for container in pod_spec(workload)["containers"]:
                for container_port in container.get("ports") or []:
                    if container_port.get("name") == target:
                        return labels, int(container_port["containerPort"])
    pytest.fail(f"Service {service['metadata']['name']}: no Deployment serves port {port}")


def test_in_cluster_addresses_in_the_settings_are_reachable(overlay: str, app: str) -> None:
    """Every http(s)://<Service>:<port> a service is configured with names a port of that Service,
    and the NetworkPolicies let the pod connect to it (egress here, ingress there)."""
    service = app
    docs = render(overlay)
    services = {s["metadata"]["name"]: s for s in of_kind(docs, "Service")}
    for _, workload in workloads_of(docs, service):
        labels = pod_template(workload)["metadata"]["labels"]
        container = pod_spec(workload)["containers"][0]
        for name, value in container_env(docs, workload, container).items():
            url = urlsplit(value) if re.match(r"^https?://", value) else None
            if url is None or url.hostname not in services:
                continue
            port = url.port or (443 if url.scheme == "https" else 80)
            target_labels, target_port = _target_port(docs, services[url.hostname], port)
            assert pod_may_connect(docs, labels, target_labels, target_port), (
                f"{overlay}: {workload['metadata']['name']} cannot reach {name}={value} (NetworkPolicy)")


def test_external_addresses_in_the_settings_are_reachable(
        overlay: str, app: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SMTP relay (notify) and the identity provider's JWKS (services that use infohus.kit.auth)
    are outside the cluster: the pods need an egress rule for their ports."""
    service = app
    docs = render(overlay)
    deployment = named(docs, "Deployment", f"infohus-{service}")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    env = fill_placeholders(container_env(docs, deployment, pod_spec(deployment)["containers"][0]))
    needed: dict[str, int] = {}
    if service == "notify":
        settings = load(monkeypatch, settings_class(service), env, service)
        needed["INFOHUS_NOTIFY_SMTP_PORT"] = settings.smtp_port
    if uses_kit_auth(service):
        auth = load(monkeypatch, AuthSettings, env, service)
        jwks = urlsplit(auth.oidc_jwks_url)
        needed["INFOHUS_AUTH_OIDC_JWKS_URL"] = jwks.port or 443
    for name, port in needed.items():
        assert pod_may_leave_the_cluster(docs, labels, port), (
            f"{overlay}: no NetworkPolicy lets {service} reach {name} (port {port}) outside the cluster")


def _labels(docs: Docs, app: str) -> dict[str, str]:
    labels: dict[str, str] = named(docs, "Deployment", f"infohus-{app}")["spec"]["template"]["metadata"]["labels"]
    return labels


KAFKA_BROKER = {"strimzi.io/cluster": "infohus", "strimzi.io/broker-role": "true"}
POSTGRES = {"cnpg.io/cluster": "infohus-pg"}


def test_the_workspace_reaches_routing_intake_audit_and_notify_and_no_other_infohus_pod(overlay: str) -> None:
    """Who may talk to whom, both halves of each flow: the workspace to routing, intake, audit and notify
    (an administrator's undelivered mails) on their HTTP ports and to PostgreSQL (its shared sessions); not
    to Kafka; no other Infohus service to notify, and no Infohus service may connect to the workspace."""
    docs = render(overlay)
    workspace = _labels(docs, "workspace")
    for service in WORKSPACE_CALLS:
        assert pod_may_connect(docs, workspace, _labels(docs, service), HTTP_PORTS[service]), service
    assert pod_may_connect(docs, workspace, POSTGRES, 5432), "the workspace cannot reach its session database"
    for service in ("intake", "routing", "audit"):
        assert not pod_may_connect(docs, _labels(docs, service), _labels(docs, "notify"), HTTP_PORTS["notify"]), service
    assert not _egress_allows(docs, workspace, KAFKA_BROKER, 9092), "workspace may open Kafka"
    for port in (8000, 9187):  # the instance manager's status port, the metrics port
        assert not pod_may_connect(docs, workspace, POSTGRES, port), f"workspace may open PostgreSQL :{port}"
    for service in SERVICES:
        assert not pod_may_connect(docs, _labels(docs, service), workspace, HTTP_PORTS["workspace"]), service
    # Outside the cluster: the identity provider over HTTPS only (not plain HTTP, not SMTP).
    assert pod_may_leave_the_cluster(docs, workspace, 443)
    for port in (80, 25, 587, 5432, 9092):
        assert not pod_may_leave_the_cluster(docs, workspace, port), port


def test_prod_mail_placeholders_keep_notify_from_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/operations.md: notify refuses to start while its prod addresses are placeholders. The
    other test substitutes them; here they stay as rendered."""
    if "prod" not in OVERLAYS:
        pytest.skip("no prod overlay")
    docs = render("prod")
    deployment = named(docs, "Deployment", "infohus-notify")
    env = container_env(docs, deployment, pod_spec(deployment)["containers"][0])
    placeholders = sorted(n for n, v in env.items() if n.startswith("INFOHUS_NOTIFY_MAIL") and ".invalid" in v)
    assert placeholders, "prod notify has no mail placeholders left: drop this test"
    only_env(monkeypatch, env)
    with pytest.raises(ValidationError):
        settings_class("notify")()

