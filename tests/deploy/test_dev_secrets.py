"""deploy/k8s/overlays/dev/create-dev-secrets.sh creates exactly the Secrets the dev overlay references,
with the keys and the shapes the services need.

The script runs against a stand-in kubectl: ``get`` finds nothing, ``apply`` records the manifest, and
``create --dry-run=client`` / ``label --local`` go to the real kubectl (offline). No cluster is contacted.
"""

from __future__ import annotations

import base64
import os
import shutil
import stat
import subprocess
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.audit.domain.checkpoint import load_private_key
from tests.deploy.test_k8s_policies import K8S_DIR, _referenced_secrets, all_containers, find_kubectl, named, render

SCRIPT = K8S_DIR / "overlays" / "dev" / "create-dev-secrets.sh"
# Made by CloudNativePG, not by the script.
OPERATOR_SECRETS = {"infohus-pg-ca"}

FAKE_KUBECTL = """#!/usr/bin/env bash
case " $* " in
  *" get "*) exit 1 ;;
  *" create namespace "*) exit 0 ;;
  *" apply "*) cat >>"$CAPTURE"; printf -- '---\\n' >>"$CAPTURE"; exit 0 ;;
esac
exec "$REAL_KUBECTL" "$@"
"""


@pytest.fixture(scope="module")
def created(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    kubectl = find_kubectl()
    if kubectl is None:
        pytest.skip("no kubectl with kustomize v5+ (run deploy/k8s/install-tools.sh)")
    if shutil.which("openssl") is None:
        pytest.skip("no openssl")
    work = tmp_path_factory.mktemp("dev-secrets")
    fake = work / "kubectl"
    fake.write_text(FAKE_KUBECTL, encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    capture = work / "applied.yaml"
    env = dict(os.environ, KUBECTL=str(fake), REAL_KUBECTL=kubectl, CAPTURE=str(capture), NAMESPACE="infohus-dev")
    result = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=120, check=False, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    secrets = {}
    for doc in yaml.safe_load_all(capture.read_text(encoding="utf-8")):
        if doc:
            assert doc["kind"] == "Secret"
            doc["decoded"] = {k: base64.b64decode(v).decode() for k, v in (doc.get("data") or {}).items()}
            secrets[doc["metadata"]["name"]] = doc
    return secrets


def test_the_script_creates_exactly_the_secrets_dev_references(created: dict[str, dict[str, Any]]) -> None:
    assert set(created) == _referenced_secrets(render("dev")) - OPERATOR_SECRETS


def test_every_referenced_key_is_created(created: dict[str, dict[str, Any]]) -> None:
    for where, _, container in all_containers(render("dev")):
        for entry in container.get("env") or []:
            ref = (entry.get("valueFrom") or {}).get("secretKeyRef")
            if ref and ref["name"] not in OPERATOR_SECRETS:
                assert ref["key"] in created[ref["name"]]["decoded"], f"{where}: {ref['name']}/{ref['key']}"


def test_database_secrets_match_their_cloudnativepg_roles(created: dict[str, dict[str, Any]]) -> None:
    cluster = named(render("dev"), "Cluster", "infohus-pg")
    for role in cluster["spec"]["managed"]["roles"]:
        if "passwordSecret" not in role:
            continue
        secret = created[role["passwordSecret"]["name"]]
        assert secret["type"] == "kubernetes.io/basic-auth"
        assert secret["metadata"]["labels"]["cnpg.io/reload"] == "true"
        assert secret["decoded"]["username"] == role["name"]
        assert len(secret["decoded"]["password"]) >= 32


def test_keys_have_the_shape_the_services_need(created: dict[str, dict[str, Any]]) -> None:
    assert len(created["infohus-auth-session"]["decoded"]["session-secret"]) >= 32
    assert len(bytes.fromhex(created["infohus-routing-cpr-hmac"]["decoded"]["cpr-hmac-key"])) == 32
    pem = created["infohus-audit-signing-key"]["decoded"]["checkpoint-signing-key.pem"]
    assert isinstance(load_private_key(pem), Ed25519PrivateKey)

