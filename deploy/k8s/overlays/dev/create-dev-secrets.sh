#!/usr/bin/env bash
# Creates the Secrets the dev overlay references, with random values, directly in the
# cluster of the current kubectl context. Nothing is written to the repository or to disk
# outside a private temporary directory that is removed on exit.
#
# Idempotent: a Secret that already exists is left as it is (so running it twice does not
# rotate passwords under a running PostgreSQL). Pass --rotate to replace them all.
#
#   deploy/k8s/overlays/dev/create-dev-secrets.sh [--rotate]
#
# Needs: kubectl (with a context for the dev cluster), openssl. SMTP credentials are
# placeholders: set real ones for a development relay with
#   kubectl -n infohus-dev create secret generic infohus-notify-smtp \
#     --from-literal=username=... --from-literal=password=... --dry-run=client -o yaml \
#     | kubectl apply -f -
set -euo pipefail

NAMESPACE="${NAMESPACE:-infohus-dev}"
KUBECTL="${KUBECTL:-kubectl}"
ROTATE=false
if [[ "${1:-}" == "--rotate" ]]; then
  ROTATE=true
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--rotate]" >&2
  exit 2
fi

workdir="$(mktemp -d)"
chmod 700 "$workdir"
trap 'rm -rf "$workdir"' EXIT

exists() {
  "$KUBECTL" -n "$NAMESPACE" get secret "$1" >/dev/null 2>&1
}

# Applies a Secret manifest read from stdin unless it exists (or --rotate was given).
apply_secret() {
  local name="$1"
  if exists "$name" && [[ "$ROTATE" != true ]]; then
    echo "secret/$name exists, kept"
    cat >/dev/null
    return
  fi
  "$KUBECTL" -n "$NAMESPACE" apply -f -
}

# URL-safe random string (hex), so it never needs escaping anywhere.
random() { openssl rand -hex "${1:-24}"; }

"$KUBECTL" get namespace "$NAMESPACE" >/dev/null 2>&1 || "$KUBECTL" create namespace "$NAMESPACE"

# One login role per service (and the workspace, for its sessions), shared by the
# CloudNativePG managed role and the pods (audit-svc: the audit pods' own role, a member of
# infohus_audit_app; infohus_audit owns the schema and is used by the migration Job only).
for role in intake routing notify audit audit-svc workspace; do
  name="infohus-${role}-db"
  "$KUBECTL" -n "$NAMESPACE" create secret generic "$name" \
    --type=kubernetes.io/basic-auth \
    --from-literal=username="infohus_${role//-/_}" \
    --from-literal=password="$(random 24)" \
    --dry-run=client -o yaml \
    | "$KUBECTL" label --local -f - cnpg.io/reload=true -o yaml \
    | apply_secret "$name"
done

# SMTP credentials for notify (placeholders for a development relay).
"$KUBECTL" -n "$NAMESPACE" create secret generic infohus-notify-smtp \
  --from-literal=username=infohus-dev \
  --from-literal=password="$(random 16)" \
  --dry-run=client -o yaml \
  | apply_secret infohus-notify-smtp

# HMAC key with which routing pseudonymises CPR numbers (256 bits).
"$KUBECTL" -n "$NAMESPACE" create secret generic infohus-routing-cpr-hmac \
  --from-literal=cpr-hmac-key="$(random 32)" \
  --dry-run=client -o yaml \
  | apply_secret infohus-routing-cpr-hmac

# Key that signs the sign-in session cookies and CSRF tokens (INFOHUS_AUTH_SESSION_SECRET).
"$KUBECTL" -n "$NAMESPACE" create secret generic infohus-auth-session \
  --from-literal=session-secret="$(random 32)" \
  --dry-run=client -o yaml \
  | apply_secret infohus-auth-session

# Ed25519 checkpoint signing key for audit (a development key; prod keys are made and kept
# as described in docs/operations.md).
openssl genpkey -algorithm ed25519 -out "$workdir/checkpoint-signing-key.pem"
"$KUBECTL" -n "$NAMESPACE" create secret generic infohus-audit-signing-key \
  --from-file=checkpoint-signing-key.pem="$workdir/checkpoint-signing-key.pem" \
  --dry-run=client -o yaml \
  | apply_secret infohus-audit-signing-key

# The workspace's client secret at the development identity provider: a placeholder. For a
# confidential client, replace it with the secret the provider issued:
#   kubectl -n infohus-dev create secret generic infohus-workspace-oidc \
#     --from-literal=client-secret=... --dry-run=client -o yaml | kubectl apply -f -
"$KUBECTL" -n "$NAMESPACE" create secret generic infohus-workspace-oidc \
  --from-literal=client-secret="$(random 24)" \
  --dry-run=client -o yaml \
  | apply_secret infohus-workspace-oidc

# Notify's client secret for its client-credentials sign-in at routing (service_notify): a
# placeholder to replace with the secret the development identity provider issued.
"$KUBECTL" -n "$NAMESPACE" create secret generic infohus-notify-oidc \
  --from-literal=client-secret="$(random 24)" \
  --dry-run=client -o yaml \
  | apply_secret infohus-notify-oidc

# A self-signed certificate for the workspace's dev host (the Ingress infohus-workspace keeps
# TLS in dev: its cookies are Secure and its redirect URLs https). Browsers warn once.
WORKSPACE_HOST="${WORKSPACE_HOST:-sag.infohus.localhost}"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
  -subj "/CN=$WORKSPACE_HOST" -addext "subjectAltName=DNS:$WORKSPACE_HOST" \
  -keyout "$workdir/workspace-tls.key" -out "$workdir/workspace-tls.crt" 2>/dev/null
"$KUBECTL" -n "$NAMESPACE" create secret tls infohus-workspace-tls \
  --cert="$workdir/workspace-tls.crt" --key="$workdir/workspace-tls.key" \
  --dry-run=client -o yaml \
  | apply_secret infohus-workspace-tls

echo "dev secrets in namespace $NAMESPACE are in place"
