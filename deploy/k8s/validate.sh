#!/usr/bin/env bash
# Renders every overlay in deploy/k8s/overlays with `kubectl kustomize` and validates the
# output offline with `kubernetes-validate --strict` against each Kubernetes version in
# K8S_VERSIONS. No cluster is contacted.
#
# Custom resources (Strimzi, CloudNativePG, Barman Cloud plugin, Prometheus Operator):
# kubernetes-validate only ships the built-in Kubernetes schemas and has no option to load CRD
# schemas; for an unknown kind it prints "WARN ... Couldn't find schema" and passes. This
# script therefore
#   - accepts that warning only for the API groups listed in CRD_GROUPS (their structure is
#     checked by the policy tests in tests/deploy/test_k8s_policies.py), and
#   - fails on the same warning for any other kind, so that a typo such as apps/v2 or a
#     misspelt kind is not silently skipped.
#
# Prod deployment inputs still carrying the reserved ".invalid" domain are listed as
# warnings (they do not fail the validation).
#
# Usage: deploy/k8s/validate.sh [overlay ...]        (default: every overlay)
# Environment:
#   KUBECTL               kubectl to use (default: kubectl on PATH if its kustomize is v5+,
#                         else .tools/bin/kubectl from deploy/k8s/install-tools.sh)
#   KUBERNETES_VALIDATE   kubernetes-validate to use (default: on PATH, else .venv/bin)
#   K8S_VERSIONS          Kubernetes versions to validate against (default "1.32.0 1.37.0")
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
K8S_VERSIONS="${K8S_VERSIONS:-1.32.0 1.37.0}"
CRD_GROUPS_RE='^(kafka\.strimzi\.io|postgresql\.cnpg\.io|barmancloud\.cnpg\.io|monitoring\.coreos\.com)/'

kustomize_major() {
  "$1" version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9][0-9]*\)\..*/\1/p'
}

find_kubectl() {
  if [[ -n "${KUBECTL:-}" ]]; then
    echo "$KUBECTL"
    return
  fi
  local candidate major
  for candidate in "$(command -v kubectl || true)" "$REPO_ROOT/.tools/bin/kubectl"; do
    [[ -n "$candidate" && -x "$candidate" ]] || continue
    major="$(kustomize_major "$candidate")"
    if [[ -n "$major" && "$major" -ge 5 ]]; then
      echo "$candidate"
      return
    fi
  done
  echo "validate.sh: no kubectl with kustomize v5+; run deploy/k8s/install-tools.sh" >&2
  exit 3
}

find_validator() {
  if [[ -n "${KUBERNETES_VALIDATE:-}" ]]; then
    echo "$KUBERNETES_VALIDATE"
  elif command -v kubernetes-validate >/dev/null 2>&1; then
    command -v kubernetes-validate
  elif [[ -x "$REPO_ROOT/.venv/bin/kubernetes-validate" ]]; then
    echo "$REPO_ROOT/.venv/bin/kubernetes-validate"
  else
    echo "validate.sh: kubernetes-validate not found; add it with: uv add --group dev kubernetes-validate" >&2
    exit 3
  fi
}

KUBECTL_BIN="$(find_kubectl)"
VALIDATOR="$(find_validator)"

if [[ $# -gt 0 ]]; then
  overlays=("$@")
else
  overlays=()
  for dir in "$HERE"/overlays/*/; do
    overlays+=("$(basename "$dir")")
  done
fi

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

failed=0
for overlay in "${overlays[@]}"; do
  rendered="$workdir/$overlay.yaml"
  echo "== $overlay: kubectl kustomize deploy/k8s/overlays/$overlay"
  if ! "$KUBECTL_BIN" kustomize "$HERE/overlays/$overlay" >"$rendered"; then
    echo "FAIL $overlay: kustomize could not render the overlay"
    failed=1
    continue
  fi
  echo "   $(grep -c '^kind:' "$rendered") resources"

  for version in $K8S_VERSIONS; do
    report="$workdir/$overlay-$version.txt"
    set +e
    "$VALIDATOR" --strict --quiet --kubernetes-version "$version" "$rendered" >"$report" 2>&1
    rc=$?
    set -e
    # Errors from the schema validation itself.
    if [[ $rc -ne 0 ]] || grep -q '^\(ERROR\|FATAL\)' "$report"; then
      echo "FAIL $overlay (Kubernetes $version):"
      grep -v '^WARN' "$report" | sed 's/^/   /'
      failed=1
    fi
    # Unknown kinds: tolerated only for the CRD groups.
    unexpected="$(sed -n "s/^WARN .* Couldn't find schema for kind \([^ ]*\) with api version \([^ ]*\) .*/\2 \1/p" "$report" \
      | grep -Ev "$CRD_GROUPS_RE" || true)"
    if [[ -n "$unexpected" ]]; then
      echo "FAIL $overlay (Kubernetes $version): no schema for these built-in kinds (wrong apiVersion or kind?):"
      sort -u <<<"$unexpected" | sed 's/^/   /'
      failed=1
    fi
    other_warnings="$(grep '^WARN' "$report" | grep -v "Couldn't find schema for kind" || true)"
    if [[ -n "$other_warnings" ]]; then
      echo "FAIL $overlay (Kubernetes $version): unexpected warnings:"
      printf '   %s\n' "$other_warnings"
      failed=1
    fi
    skipped="$(sed -n "s/^WARN .* Couldn't find schema for kind \([^ ]*\) with api version \([^ ]*\) .*/\2 \1/p" "$report" \
      | grep -E "$CRD_GROUPS_RE" | sort -u | awk '{print $2}' | paste -sd, - || true)"
    echo "   Kubernetes $version: built-in kinds valid (strict); custom resources not schema-checked here: ${skipped:-none}"
  done

  if [[ "$overlay" == "prod" ]] && grep -q '\.invalid' "$rendered"; then
    echo "   WARN prod still has deployment inputs to fill in (reserved .invalid domain):"
    grep -n '\.invalid' "$rendered" | sed 's/^/      /'
  fi
done

if [[ $failed -ne 0 ]]; then
  echo "k8s-validate: FAILED"
  exit 1
fi
echo "k8s-validate: all overlays valid"
