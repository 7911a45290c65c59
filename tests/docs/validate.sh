#!/usr/bin/env bash
# Validates the OpenAPI document that `warden openapi` prints against the OpenAPI 3.1 schema
# (PyPI openapi-spec-validator) and checks that the served document is the same one.
#
#   bash tests/docs/validate.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
command -v openapi-spec-validator >/dev/null || python3 -m pip install --quiet openapi-spec-validator
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run --quiet --locked -- openapi --output "$work/openapi.json"
openapi-spec-validator "$work/openapi.json"
python3 - "$work/openapi.json" tests/snapshots/openapi.json <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["openapi"] == "3.1.0", doc["openapi"]
def operations(document):
    return sum(1 for item in document["paths"].values() for m in item
               if m in {"get", "put", "post", "delete"})
ops = operations(doc)
# The reviewed snapshot (tests/snapshots/openapi.json) is the one list of operations.
expected = operations(json.load(open(sys.argv[2])))
assert ops == expected and ops > 0, (ops, expected)
print(f"openapi: {ops} operations, {len(doc['components']['schemas'])} schemas")
PY
