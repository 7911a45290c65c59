#!/usr/bin/env bash
# Validates the Kubernetes manifests (deploy/k8s) and scans them, the Dockerfile and the GitHub
# workflows for security misconfigurations. Offline once the tools are installed.
#
#   kubernetes-validate (PyPI)  every manifest against the OpenAPI schemas of Kubernetes releases
#                               bundled in the package (--strict: unknown fields are errors):
#                               the oldest release the manifests support and the newest bundled
#   consistency (inline Python) kustomization.yaml lists every manifest; the Deployment and the
#                               migration Job run the same image; the shutdown and connection
#                               budgets add up (see the comments in configmap.yaml)
#   promtool (Debian prometheus) deploy/prometheus: `promtool check rules` and `promtool test
#                               rules`; the Grafana dashboard's queries (deploy/grafana) are
#                               checked as PromQL the same way. Missing promtool: an error in
#                               CI, a SKIPPED line elsewhere (scripts/install-tools.sh promtool)
#   checkov (PyPI)              security misconfigurations: deploy/k8s (kubernetes + secrets),
#                               Dockerfile, .github/workflows. A check is skipped only by an
#                               inline `checkov.io/skipN` annotation that says why.
#
# The tools live in their own virtualenv (checkov pins many libraries; kept apart from the tools
# of scripts/install-tools.sh), created on first use and reused afterwards.
# Usage: scripts/lint-k8s.sh        Exit status: 0 clean, 1 any failure.
set -euo pipefail
cd "$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"

KUBERNETES_VALIDATE_VERSION=1.37.0
CHECKOV_VERSION=3.3.30
# 1.30: the preStop `sleep` action (the image has no shell) needs it; 1.37: newest bundled schema.
K8S_VERSIONS=(1.30.0 1.37.0)
VENV=${LINT_K8S_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/warden/lint-k8s-venv}
MANIFESTS=deploy/k8s

t0=$(date +%s)
elapsed() { echo "$(($(date +%s) - $1))s"; }
say() { printf '[lint-k8s] %s\n' "$*"; }
status=0
fail() {
  say "FAILED: $*" >&2
  status=1
}

# ---- tools ----------------------------------------------------------------------------------
t=$(date +%s)
# Installed = the pinned versions are in the venv (package metadata: `checkov --version` takes 4 s).
installed() {
  [[ -x $VENV/bin/kubernetes-validate && -x $VENV/bin/checkov ]] &&
    "$VENV/bin/python" - "$KUBERNETES_VALIDATE_VERSION" "$CHECKOV_VERSION" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version
sys.exit(version("kubernetes-validate") != sys.argv[1] or version("checkov") != sys.argv[2])
PY
}
if ! installed; then
  say "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION and checkov $CHECKOV_VERSION into $VENV"
  [[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "checkov==$CHECKOV_VERSION"
fi
say "tools ready ($(elapsed "$t"))"

# ---- kubernetes-validate --------------------------------------------------------------------
mapfile -t manifests < <(find "$MANIFESTS" -maxdepth 1 -name '*.yaml' ! -name kustomization.yaml | sort)
if ((${#manifests[@]} == 0)); then
  fail "no manifests under $MANIFESTS"
else
  for version in "${K8S_VERSIONS[@]}"; do
    t=$(date +%s)
    if "$VENV/bin/kubernetes-validate" --strict --quiet --kubernetes-version "$version" "${manifests[@]}"; then
      say "kubernetes-validate --strict, Kubernetes $version: ${#manifests[@]} files OK ($(elapsed "$t"))"
    else
      fail "kubernetes-validate against Kubernetes $version"
    fi
  done
fi

# ---- consistency ----------------------------------------------------------------------------
t=$(date +%s)
if "$VENV/bin/python" - "$MANIFESTS" <<'PY'; then
import sys
from pathlib import Path

import yaml

root = Path(sys.argv[1])
errors = []
docs = {}
for path in sorted(root.glob("*.yaml")):
    for doc in yaml.safe_load_all(path.read_text()):
        if doc:
            docs.setdefault(doc["kind"], []).append((path.name, doc))

kustomization = docs["Kustomization"][0][1]
listed = set(kustomization.get("resources", []))
present = {p.name for p in root.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
for name in sorted(present - listed):
    errors.append(f"kustomization.yaml does not list {name}")
for name in sorted(listed - present):
    errors.append(f"kustomization.yaml lists {name}, which does not exist")

def one(kind):
    found = docs.get(kind, [])
    if len(found) != 1:
        errors.append(f"expected exactly one {kind}, found {len(found)}")
        return {}
    return found[0][1]

deployment, job = one("Deployment"), one("Job")
config = one("ConfigMap").get("data", {})
hpa = one("HorizontalPodAutoscaler")
if deployment and job:
    pod = deployment["spec"]["template"]["spec"]
    server = pod["containers"][0]
    migrate = job["spec"]["template"]["spec"]["containers"][0]
    if server["image"] != migrate["image"]:
        errors.append(f"Deployment image {server['image']} != migration Job image {migrate['image']}")
    image_names = {i["name"] for i in kustomization.get("images", [])}
    if server["image"].split(":")[0].split("@")[0] not in image_names:
        errors.append(f"kustomization.yaml images: does not rewrite {server['image']}")
    # Shutdown budget: preStop sleep + drain must end before SIGKILL.
    pre_stop = server.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    drain = int(config.get("SHUTDOWN_TIMEOUT_SECS", 30))
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace <= pre_stop + drain:
        errors.append(f"terminationGracePeriodSeconds {grace} <= preStop {pre_stop} + SHUTDOWN_TIMEOUT_SECS {drain}")
    if int(config.get("REQUEST_TIMEOUT_SECS", 30)) > drain:
        errors.append("REQUEST_TIMEOUT_SECS > SHUTDOWN_TIMEOUT_SECS: a slow request outlives the drain")
    if deployment["spec"].get("replicas") != hpa.get("spec", {}).get("minReplicas"):
        errors.append("Deployment replicas != HPA minReplicas")
# X-Forwarded-For is believed only from TRUSTED_PROXIES: the ingress controller's addresses, never
# a whole pod network (docs/operations.md, "Client IP behind proxies").
import ipaddress
for entry in filter(None, (e.strip() for e in str(config.get("TRUSTED_PROXIES", "")).split(","))):
    try:
        net = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        errors.append(f"TRUSTED_PROXIES entry {entry!r} is not an IP address or CIDR")
        continue
    narrowest = 24 if net.version == 4 else 120
    if net.prefixlen < narrowest:
        errors.append(f"TRUSTED_PROXIES entry {entry} is wider than /{narrowest}: trust the ingress "
                      "controller's addresses, not a pod network")
ingress = docs.get("Ingress", [])
for name, doc in ingress:
    annotations = doc["metadata"].get("annotations", {})
    if not any(k.startswith("cert-manager.io/") for k in annotations):
        errors.append(f"{name}: Ingress without a cert-manager.io issuer annotation")
    paths = [p["path"] for rule in doc["spec"].get("rules", []) for p in rule["http"]["paths"]]
    if "/metrics" in paths:
        errors.append(f"{name}: the Ingress must not route /metrics")
    for rule in doc["spec"].get("rules", []):
        for p in rule["http"]["paths"]:
            if p["path"] == "/" and p["pathType"] != "Exact":
                errors.append(f"{name}: path / must be Exact (a Prefix / would publish /metrics)")
# Connection budget against PostgreSQL's default max_connections = 100, 20 kept for the
# migration Job, backups, psql and superuser slots (docs/operations.md).
if hpa:
    budget = int(config.get("DB_POOL_SIZE", 10)) * hpa["spec"]["maxReplicas"]
    if budget > 100 - 20:
        errors.append(f"DB_POOL_SIZE x maxReplicas = {budget} > 80 connections")
for line in errors:
    print(f"  {line}", file=sys.stderr)
sys.exit(1 if errors else 0)
PY
  say "consistency (kustomization, image, shutdown and connection budgets): OK ($(elapsed "$t"))"
else
  fail "consistency checks"
fi

# ---- Prometheus rules and the Grafana dashboard's queries ---------------------------------------
t=$(date +%s)
if ! command -v promtool >/dev/null 2>&1; then
  if [[ ${CI:-} == true ]]; then
    fail "promtool is not installed (scripts/install-tools.sh promtool)"
  else
    say "SKIPPED Prometheus rules: promtool is not installed (scripts/install-tools.sh promtool)"
  fi
else
  prom_ok=1
  for rules in deploy/prometheus/*-rules.yml; do
    promtool check rules "$rules" >/dev/null || { prom_ok=0; promtool check rules "$rules" || true; }
  done
  for tests in deploy/prometheus/*.test.yml; do
    promtool test rules "$tests" >/dev/null || { prom_ok=0; promtool test rules "$tests" || true; }
  done
  dashboard_rules=$(mktemp --suffix=.yml)
  python3 - deploy/grafana/*.json >"$dashboard_rules" <<'PY'
import json
import sys
# Each panel query as a recording rule, with Grafana's variables given sample values, so that
# promtool parses it as PromQL.
print("groups:")
for path in sys.argv[1:]:
    print(f"  - name: {json.dumps(path)}\n    rules:")
    for panel in json.load(open(path))["panels"]:
        for target in panel.get("targets", []):
            expr = (target["expr"].replace("$__rate_interval", "5m").replace("$job", "warden")
                    .replace("$instance", ".*"))
            print(f"      - record: dashboard:panel_{panel['id']}_{target['refId']}")
            print(f"        expr: {json.dumps(expr)}")
PY
  promtool check rules "$dashboard_rules" >/dev/null || { prom_ok=0; promtool check rules "$dashboard_rules" || true; }
  rm -f "$dashboard_rules"
  if ((prom_ok)); then
    say "promtool: rules, rule tests and dashboard queries OK ($(elapsed "$t"))"
  else
    fail "promtool (deploy/prometheus, deploy/grafana)"
  fi
fi

# ---- checkov --------------------------------------------------------------------------------
# --skip-download: no call to the Prisma Cloud API (offline; no guideline links in the output).
checkov_run() {
  local what=$1 t
  shift
  t=$(date +%s)
  if "$VENV/bin/checkov" --skip-download --quiet --compact "$@"; then
    say "checkov $what: OK ($(elapsed "$t"))"
  else
    fail "checkov $what"
  fi
}
checkov_run "$MANIFESTS" -d "$MANIFESTS" --framework kubernetes secrets
if [[ -f Dockerfile ]]; then
  checkov_run Dockerfile -f Dockerfile --framework dockerfile
else
  say "SKIPPED checkov Dockerfile: no Dockerfile at the repository root"
fi
if compgen -G '.github/workflows/*.y*ml' >/dev/null; then
  checkov_run .github/workflows -d .github/workflows --framework github_actions
else
  say "SKIPPED checkov .github/workflows: no workflow files"
fi

if ((status)); then
  say "FAILED after $(elapsed "$t0")" >&2
else
  say "all checks passed in $(elapsed "$t0")"
fi
exit "$status"
