#!/usr/bin/env python3
"""Fail when GitHub Actions and `.ci/run` would check different things.

The gates are defined once, as the STEPS of `.ci/run`; `.github/workflows/ci.yml` splits them into
parallel jobs, each running `.ci/run` with its own `CI_STEPS`. This check holds the two together:

* every step of `.ci/run` is run by exactly one job (`tools`, the installer, may be in every job);
* every job's `CI_STEPS` names only steps that exist;
* a job runs its gates through `.ci/run` only: no `cargo`, `make` or `scripts/` gate command
  of its own (toolchain setup and the GitHub-only publishing/scanning steps are not gates).

Usage: scripts/check-ci-parity.py [path/to/ci.yml]   (run by scripts/lint-config.sh)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML  # ships with check-jsonschema (scripts/install-tools.sh)

ROOT = Path(__file__).resolve().parent.parent
SHARED_STEPS = {"tools"}
# A `run:` line that starts a gate itself instead of through .ci/run.
GATE_COMMAND = re.compile(r"(^|[;&|\s])(cargo|make|scripts/|bash tests/|prek)\b")


def ci_run_steps() -> list[str]:
    listing = subprocess.run(
        [str(ROOT / ".ci/run"), "--list"], check=True, capture_output=True, text=True
    ).stdout
    return [line.split()[0] for line in listing.splitlines() if line.strip()]


def job_steps(workflow: Path) -> dict[str, list[str]]:
    data = YAML(typ="safe").load(workflow.read_text())
    jobs: dict[str, list[str]] = {}
    problems: list[str] = []
    for name, job in (data.get("jobs") or {}).items():
        steps_value = (job.get("env") or {}).get("CI_STEPS")
        runs = [str(step.get("run", "")) for step in job.get("steps") or []]
        for run in runs:
            for line in run.splitlines():
                if ".ci/run" not in line and GATE_COMMAND.search(line.strip()):
                    problems.append(f"job {name!r} runs a gate outside .ci/run: {line.strip()!r}")
        if steps_value is None:
            continue
        if not any(".ci/run" in run for run in runs):
            problems.append(f"job {name!r} sets CI_STEPS but never runs .ci/run")
        jobs[name] = str(steps_value).split()
    if problems:
        raise SystemExit("ci-parity: " + "\nci-parity: ".join(problems))
    return jobs


def main() -> int:
    workflow = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".github/workflows/ci.yml"
    steps = ci_run_steps()
    jobs = job_steps(workflow)
    errors: list[str] = []
    owners: dict[str, list[str]] = {}
    for job, names in jobs.items():
        for step in names:
            if step not in steps:
                errors.append(f"job {job!r} names step {step!r}, which .ci/run does not have")
            owners.setdefault(step, []).append(job)
    for step in steps:
        count = len(owners.get(step, []))
        if step in SHARED_STEPS:
            continue
        if count == 0:
            errors.append(f"step {step!r} of .ci/run runs in no job of {workflow.name}")
        elif count > 1:
            errors.append(f"step {step!r} runs in {count} jobs: {', '.join(owners[step])}")
    if errors:
        for error in errors:
            print(f"ci-parity: {error}", file=sys.stderr)
        return 1
    print(f"ci-parity: {len(steps)} steps of .ci/run, all in {workflow.name} ({len(jobs)} jobs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
