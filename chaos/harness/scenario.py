"""A scenario's result (checks and figures) and the checks every scenario makes."""

from __future__ import annotations

from harness.config import log
from harness.load import Record, histogram
from harness.procs import Warden


class Scenario:
    def __init__(self, name: str) -> None:
        self.name = name
        self.checks: list[tuple[str, bool, str]] = []
        self.figures: dict[str, object] = {}
        self.error = ""

    def check(self, what: str, ok: bool, detail: object = "") -> bool:
        self.checks.append((what, bool(ok), str(detail)))
        log(f"  {'PASS' if ok else 'FAIL'} {self.name}: {what}" + (f" ({detail})" if detail else ""))
        return ok

    def fig(self, key: str, value: object) -> None:
        self.figures[key] = value

    @property
    def passed(self) -> bool:
        return not self.error and all(ok for _, ok, _ in self.checks)


# ---------------------------------------------------------------------------------------------
# scenarios


def common_checks(s: Scenario, wardens: list[Warden], records: list[Record]) -> None:
    fivehundreds = [r for r in records if r.status == 500]
    s.check("no 500 answered", not fivehundreds, histogram(fivehundreds) if fivehundreds else "")
    panics = sum(w.panics() for w in wardens)
    s.check("no panic in the logs", panics == 0, f"{panics} panic lines" if panics else "")
