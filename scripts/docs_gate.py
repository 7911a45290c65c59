#!/usr/bin/env python3
"""The documentation drift checks of scripts/docs-gate.sh (standard library only, static, fast).

Checks, over every tracked *.md file (and .env.example where it applies):
  make      every `make <target>` in code names a rule of the Makefile that `make -n` accepts
  cli       every `warden <subcommand> [--flag]` in code exists in the clap definitions (src/cli/)
  env       every variable in docs/configuration.md (first table column) and .env.example is read
            by the code, and every variable the configuration code reads is in both
  paths     every relative link and every repository path or *.md name resolves
  outside   no document cites a file outside the repository (../shared, ../../x) or a § section
            of a specification that is not in it
  metrics   every warden_* metric named in docs/ and deploy/ is registered in src/metrics.rs, and
            every registered one is in the catalogue of docs/operations.md

Usage: python3 scripts/docs_gate.py [ROOT]      exit 0 clean, 1 drift (one line per finding)
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent).resolve()

# Documented variables that warden's own code does not read, each with the reason.
NOT_READ_BY_WARDEN = {
    "MIMALLOC_PURGE_DELAY": "read by the allocator (mimalloc) at process start",
}
# Generated or vendored Markdown that is not documentation of this repository.
SKIP_MD = ("bench/results/", "assets/vendor/", "fuzz/target/", "target/")
# Top-level paths that exist only after a build or a run (named in docs, never tracked).
GENERATED_ROOTS = {"target", "coverage", "data", "logs", "lcov.info", "openapi.json", "node_modules"}
CONFIG_FILES_GLOB = ("src/config.rs", "src/config/**/*.rs", "src/**/config.rs", "src/**/settings.rs")

findings: list[str] = []


def report(where: str, message: str) -> None:
    line = f"{where}: {message}"
    # A path can be found both as a code span and as a document name: report it once.
    if line.replace("`", "") not in (f.replace("`", "") for f in findings):
        findings.append(line)


def tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", *patterns],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()
    return [ROOT / p for p in out if (ROOT / p).exists()]


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# ---- Markdown: code spans, fenced blocks, links ---------------------------------------------
@dataclass
class Doc:
    path: Path
    text: str
    code: list[tuple[int, str]] = field(default_factory=list)  # (line, code text)
    prose: list[tuple[int, str]] = field(default_factory=list)  # (line, text outside code)


FENCE = re.compile(r"^\s*(```|~~~)")
INLINE = re.compile(r"(`+)(.+?)\1")


def parse_doc(path: Path) -> Doc:
    doc = Doc(path, path.read_text(encoding="utf-8"))
    in_fence = False
    block: list[str] = []
    start = 0
    for number, line in enumerate(doc.text.splitlines(), 1):
        if FENCE.match(line):
            if in_fence:
                # Shell continuation lines belong to one command.
                doc.code.append((start, "\n".join(block).replace("\\\n", " ")))
                block = []
            else:
                start = number + 1
            in_fence = not in_fence
            continue
        if in_fence:
            block.append(line)
            continue
        for match in INLINE.finditer(line):
            doc.code.append((number, match.group(2)))
        doc.prose.append((number, INLINE.sub(" ", line)))
    return doc


def markdown_docs() -> list[Doc]:
    return [parse_doc(p) for p in tracked("*.md") if not rel(p).startswith(SKIP_MD)]


def code_lines(doc: Doc):
    """Each line of code, without its shell comment (`# only make sure ...` is not a command)."""
    for start, text in doc.code:
        for offset, line in enumerate(text.splitlines() or [text]):
            yield start + offset, re.sub(r"(?:^|\s)#(?:\s.*)?$", "", line)


def git_ignored(path: str) -> bool:
    return subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0


# ---- make targets ---------------------------------------------------------------------------
MAKE_CALL = re.compile(r"(?:^|[\s;&|(`$])make\s+((?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*)([a-z][a-z0-9_.-]*)")
RULE = re.compile(r"^([A-Za-z0-9_.-]+(?:\s+[A-Za-z0-9_.-]+)*)\s*:(?!=)", re.M)


def makefile_targets() -> set[str]:
    makefile = ROOT / "Makefile"
    if not makefile.exists():
        return set()
    names: set[str] = set()
    for match in RULE.finditer(makefile.read_text()):
        names.update(match.group(1).split())
    return {n for n in names if not n.startswith(".")}


def make_accepts(targets: set[str]) -> set[str]:
    """The targets `make -n` accepts: one call for all of them, one per target only on failure."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/nonexistent"}

    def dry(names: list[str]) -> bool:
        return subprocess.run(["make", "-n", "-s", *names], cwd=ROOT, capture_output=True,
                              env=env).returncode == 0

    names = sorted(targets)
    if not names:
        return set()
    if dry(names):
        return set(names)
    return {n for n in names if dry([n])}


def check_make(docs: list[Doc]) -> None:
    rules = makefile_targets()
    calls: list[tuple[str, int, str]] = []
    for doc in docs:
        for number, line in code_lines(doc):
            calls.extend((rel(doc.path), number, m.group(2)) for m in MAKE_CALL.finditer(line))
    accepted = make_accepts({t for _, _, t in calls} & rules)
    for where, number, target in calls:
        if target not in accepted:
            report(f"{where}:{number}", f"`make {target}`: the Makefile has no target '{target}' "
                                        f"(targets: make help)")


# ---- warden subcommands and flags (static, from the clap definitions) -----------------------
def kebab(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"-\1", name).lower().replace("_", "-")


def block_after(text: str, start: int) -> str:
    """The text between the `{` at or after `start` and its matching `}`."""
    open_at = text.index("{", start)
    depth = 0
    for i in range(open_at, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[open_at + 1:i]
    return text[open_at + 1:]


ATTR = re.compile(r"#\[(arg|command|clap)\((.*?)\)\]\s*", re.S)


def flags_of(fields: str) -> set[str]:
    flags: set[str] = set()
    pending: list[str] = []
    for token in re.finditer(r"#\[(?:arg|clap)\((.*?)\)\]|(?:pub\s+)?(\w+)\s*:\s*[^,]+,?|///[^\n]*", fields, re.S):
        if token.group(1) is not None:
            pending.append(token.group(1))
        elif token.group(2) is not None:
            for attr in pending:
                long = re.search(r'\blong\s*=\s*"([^"]+)"', attr)
                if long:
                    flags.add("--" + long.group(1))
                elif re.search(r"\blong\b", attr):
                    flags.add("--" + token.group(2).replace("_", "-"))
                short = re.search(r"\bshort\s*=\s*'(.)'", attr)
                if short:
                    flags.add("-" + short.group(1))
                elif re.search(r"\bshort\b(?!\s*=)", attr):
                    flags.add("-" + token.group(2)[0])
            pending = []
    return flags


# A subcommand whose flags this static reader cannot list (nested subcommands, flattened
# argument structs): its name is checked, its flags are not.
ANY_FLAGS = None


def cli_commands() -> dict[str, set[str] | None]:
    sources = {p: p.read_text() for p in sorted((ROOT / "src/cli").rglob("*.rs"))}
    everything = "\n".join(sources.values())
    enum = re.search(r"enum\s+Command\s*\{", everything)
    if not enum:
        return {}
    body = block_after(everything, enum.start())
    commands: dict[str, set[str]] = {}
    i = 0
    while i < len(body):
        variant = re.compile(r"((?:\s*(?:///[^\n]*|#\[[^\]]*\]))*)\s*([A-Z]\w*)\s*([{(,]|$)").match(body, i)
        if not variant:
            break
        attrs, name, opener = variant.group(1), variant.group(2), variant.group(3)
        renamed = re.search(r'#\[command\([^\]]*\bname\s*=\s*"([^"]+)"', attrs)
        command = renamed.group(1) if renamed else kebab(name)
        flags: set[str] = set()
        struct_text = ""
        i = variant.end()
        if opener == "{":
            fields = block_after(body, variant.end() - 1)
            flags = flags_of(fields)
            i = variant.end() - 1 + len(fields) + 2
        elif opener == "(":
            inner = body[i:body.index(")", i)]
            i = body.index(")", i) + 1
            struct = re.search(r"struct\s+" + re.escape(inner.strip().split("::")[-1]) + r"\s*\{", everything)
            if struct:
                struct_text = block_after(everything, struct.start())
                flags = flags_of(struct_text)
        while i < len(body) and body[i] in ", \n\t":
            i += 1
        nested = opener in "{(" and re.search(
            r"#\[(?:command|clap|arg)\((?:subcommand|flatten)\)\]",
            body[variant.end() - 1:i] if opener == "{" else (struct_text or ""))
        commands[command] = ANY_FLAGS if nested else flags | {"--help", "-h"}
    return commands


# The binary: a bare `warden` at the start of a command, after `--`, an env assignment or a
# shell operator; a path ending in /warden; an image `warden:<tag>`; `cargo run [--release] --`.
WARDEN_CALL = re.compile(
    r"(?P<pre>(?:^|[;&|(]\s*|\$\(\s*|\s--\s+|\s(?:sudo|exec|time|env)\s+|\s[A-Z_][A-Z0-9_]*=\S*\s+))"
    r"(?:\S*/)?warden(?::[\w.-]+)?\s+(?P<rest>.*)"
    r"|(?P<pathform>\S+/warden(?::[\w.-]+)?|warden:[\w.-]+)\s+(?P<rest2>.*)"
    r"|cargo\s+run(?:\s+--release)?(?:\s+--locked)?\s+--\s+(?P<rest3>.*)"
)
SEPARATOR = re.compile(r"\s*(?:\|\||&&|[|;)]|$)")


def check_cli(docs: list[Doc]) -> None:
    commands = cli_commands()
    if not commands:
        report("src/cli", "no `enum Command` found: cannot check `warden <subcommand>` mentions")
        return
    for doc in docs:
        for number, line in code_lines(doc):
            line = line.strip().lstrip("$ ").strip()
            for match in WARDEN_CALL.finditer(line):
                rest = match.group("rest") or match.group("rest2") or match.group("rest3") or ""
                rest = re.split(r"\s*(?:\|\||&&|[|;)]|\s#\s)", rest)[0]
                words = rest.replace("[", " ").replace("]", " ").split()
                if not words or not re.fullmatch(r"[a-z][a-z-]*", words[0]):
                    continue
                sub = words[0]
                where = f"{rel(doc.path)}:{number}"
                if sub not in commands:
                    if match.group("rest3") is None and (match.group("pre") or "").strip() == "" \
                            and not line.startswith(("warden", "./warden")) and match.group("pathform") is None:
                        continue
                    report(where, f"`warden {sub}`: no such subcommand "
                                  f"(src/cli has: {', '.join(sorted(commands))})")
                    continue
                allowed = commands[sub]
                for word in words[1:] if allowed is not ANY_FLAGS else []:
                    flag = word.split("=")[0].rstrip(",.")
                    if re.fullmatch(r"--?[a-z][a-z0-9-]*", flag) and flag not in allowed:
                        report(where, f"`warden {sub} {flag}`: '{sub}' has no flag {flag} "
                                      f"(it has: {' '.join(sorted(allowed))})")


# ---- environment variables ------------------------------------------------------------------
VAR = r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*"
LITERAL = re.compile(r'"(' + VAR + r')"')
ENV_CALL = re.compile(r'env::var(?:_os)?\(\s*"(' + VAR + r')"\s*\)')


def without_tests(path: Path, text: str) -> str:
    cut = re.search(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text)
    return text[:cut.start()] if cut else text


def test_only_files() -> set[Path]:
    out: set[Path] = set()
    for path in (ROOT / "src").rglob("*.rs"):
        for name in re.findall(r"#\[cfg\(test\)\]\s*mod\s+(\w+)\s*;", path.read_text()):
            base = path.parent if path.name in ("mod.rs", "lib.rs", "main.rs") else path.with_suffix("")
            out.update({base / f"{name}.rs", base / name / "mod.rs"})
    return out


def code_variables() -> tuple[dict[str, str], set[str]]:
    """(variables the configuration code reads -> where, every ALL_CAPS literal in src/)."""
    skip = test_only_files()
    config_files: set[Path] = set()
    for pattern in CONFIG_FILES_GLOB:
        config_files.update(ROOT.glob(pattern))
    read: dict[str, str] = {}
    literals: set[str] = set()
    for path in sorted((ROOT / "src").rglob("*.rs")):
        text = path.read_text()
        literals.update(LITERAL.findall(text))
        if path in skip:
            continue
        code = without_tests(path, text)
        names = LITERAL.findall(code) if path in config_files else ENV_CALL.findall(code)
        for name in names:
            line = code[:code.index(f'"{name}"')].count("\n") + 1
            read.setdefault(name, f"{rel(path)}:{line}")
    return read, literals


def documented_in_configuration() -> dict[str, int]:
    path = ROOT / "docs/configuration.md"
    out: dict[str, int] = {}
    if not path.exists():
        return out
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.startswith("|") and not re.match(r"^\|[\s:-]+\|", line):
            first = line.split("|")[1]
            for name in re.findall(r"`(" + VAR + r")`", first):
                out.setdefault(name, number)
    return out


def documented_in_env_example() -> dict[str, int]:
    path = ROOT / ".env.example"
    out: dict[str, int] = {}
    if path.exists():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = re.match(r"^#?\s*(" + VAR + r")=", line)
            if match:
                out.setdefault(match.group(1), number)
    return out


def check_env() -> None:
    read, literals = code_variables()
    in_doc = documented_in_configuration()
    in_example = documented_in_env_example()
    for name, line in sorted(in_doc.items()):
        if name not in literals and name not in NOT_READ_BY_WARDEN:
            report(f"docs/configuration.md:{line}",
                   f"{name} is documented but no code in src/ reads it: remove the row, or read it "
                   f"in src/config.rs (or list it in NOT_READ_BY_WARDEN of scripts/docs_gate.py "
                   f"with the reason)")
    for name, line in sorted(in_example.items()):
        if name not in literals and name not in NOT_READ_BY_WARDEN:
            report(f".env.example:{line}",
                   f"{name} is in .env.example but no code in src/ reads it: remove the line")
    for name, where in sorted(read.items()):
        missing = [f for f, have in (("docs/configuration.md", in_doc), (".env.example", in_example))
                   if name not in have]
        if missing:
            report(where, f"{name} is read by the code but missing from {' and '.join(missing)}: "
                          "add a table row `| `" + name + "` | <default> | <meaning> |` to "
                          "docs/configuration.md and a line `" + name + "=<safe dev value>` (or "
                          "`# " + name + "=` when it has no safe default) to .env.example")


# ---- links, paths, files outside the repository ---------------------------------------------
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|!\[[^\]]*\]\(([^)\s]+)\)")
PATH_LIKE = re.compile(r"^\.{0,2}/?[\w.@-]+(?:/[\w.@*-]+)+/?$")
# `kubectl ... deploy/warden`, `job/warden-migrate`: Kubernetes object references, not paths.
KUBECTL_REF = re.compile(r"^(?:deploy|deployment|job|pod|svc|service|statefulset)/[\w-]+$")
MD_NAME = re.compile(r"(?<![\w/.-])((?:\.\.?/)*[\w.-]+(?:/[\w.-]+)*\.md)\b")


def inside_repo(target: Path) -> bool:
    try:
        target.resolve().relative_to(ROOT)
        return True
    except ValueError:
        return False


def resolve(doc_dir: Path, text: str) -> str:
    """'ok' when the path exists inside the repository (relative to the document or to the
    root), 'outside' when it climbs out of it, else 'missing'."""
    candidates = [doc_dir / text, ROOT / text]
    for candidate in candidates:
        if not inside_repo(candidate):
            continue
        if "*" in text:
            base = doc_dir if candidate == doc_dir / text else ROOT
            if list(base.glob(text)):
                return "ok"
        elif candidate.exists():
            return "ok"
    if text.startswith("../") and any(not inside_repo(c) for c in candidates):
        return "outside"
    return "missing"


OUTSIDE = "outside the repository (a clone does not have it): cite an in-repo document instead"


def check_paths(docs: list[Doc], tracked_roots: set[str], md_names: set[str]) -> None:
    for doc in docs:
        where = rel(doc.path)
        lines = doc.text.splitlines()
        for number, line in enumerate(lines, 1):
            for match in LINK.finditer(line):
                target = (match.group(1) or match.group(2)).split("#")[0]
                if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("<"):
                    continue
                resolved = doc.path.parent / target
                if not inside_repo(resolved):
                    report(f"{where}:{number}", f"link to {target}: {OUTSIDE}")
                elif not resolved.exists():
                    report(f"{where}:{number}", f"link to {target}: no such file")
        for number, text in code_lines(doc):
            for token in re.split(r"[\s\"'=(),]+", text):
                token = token.rstrip(".,:;")
                if not PATH_LIKE.match(token) or "<" in token or "{" in token or "$" in token:
                    continue
                first = token.lstrip("./").split("/")[0]
                state = resolve(doc.path.parent, token)
                if state == "outside":
                    report(f"{where}:{number}", f"`{token}`: {OUTSIDE}")
                elif state == "missing" and first in tracked_roots and first not in GENERATED_ROOTS \
                        and not KUBECTL_REF.match(token) and not git_ignored(token):
                    report(f"{where}:{number}", f"`{token}`: no such file or directory")
        for number, text in doc.prose + list(code_lines(doc)):
            for name in MD_NAME.findall(text):
                state = resolve(doc.path.parent, name)
                if state == "outside":
                    report(f"{where}:{number}", f"{name}: {OUTSIDE}")
                elif state == "missing" and ("/" in name or Path(name).name not in md_names):
                    report(f"{where}:{number}", f"{name}: no such document in the repository")


def check_env_example_citations(md_names: set[str]) -> None:
    path = ROOT / ".env.example"
    if not path.exists():
        return
    for number, line in enumerate(path.read_text().splitlines(), 1):
        for name in MD_NAME.findall(line):
            state = resolve(ROOT, name)
            if state == "outside":
                report(f".env.example:{number}", f"{name}: {OUTSIDE}")
            elif state == "missing" and ("/" in name or Path(name).name not in md_names):
                report(f".env.example:{number}", f"{name}: no such document in the repository")


def check_section_citations(docs: list[Doc]) -> None:
    """`§6.4` points into a specification a clone does not have."""
    files = [d.path for d in docs] + tracked(".env.example", "deploy/**/*.yaml", "deploy/**/*.yml")
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"§\s?\d", line):
                report(f"{rel(path)}:{number}", "cites a section (§) of a specification outside the "
                                                "repository: cite an in-repo document instead")


# ---- metrics --------------------------------------------------------------------------------
def registered_metrics() -> set[str]:
    path = ROOT / "src/metrics.rs"
    if not path.exists():
        return set()
    text = path.read_text()
    prefix = (re.search(r'with_prefix\("(\w+)"\)', text) or re.search("(warden)", "warden")).group(1)
    kinds = {name: kind for name, kind in re.findall(
        r"pub\s+(\w+)\s*:\s*(?:Family<\s*\w+\s*,\s*)?(Counter|Gauge|Histogram)\b", text)}
    names: set[str] = set()
    for name, field_name in re.findall(r'register\(\s*"(\w+)"\s*,\s*"[^"]*"\s*,\s*(?:self\.)?(\w+)', text):
        full = f"{prefix}_{name}"
        kind = kinds.get(field_name, "Gauge")
        if kind == "Counter":
            names.add(full + "_total")
        elif kind == "Histogram":
            names.update({full + "_bucket", full + "_sum", full + "_count"})
        else:
            names.add(full)
    return names


def check_metrics(docs: list[Doc]) -> None:
    names = registered_metrics()
    if not names:
        return
    catalogue = ROOT / "docs/operations.md"
    documented = catalogue.read_text() if catalogue.exists() else ""
    families = {re.sub(r"_(bucket|sum|count)$", "", n) if n.endswith(("_bucket", "_sum", "_count"))
                and "duration" in n else n for n in names}
    for family in sorted(families):
        if f"`{family}`" not in documented:
            report("src/metrics.rs", f"{family} is registered but missing from the metrics catalogue "
                                     f"(docs/operations.md, \"Metrics\"): add a row `| `{family}` | "
                                     f"<type> | <labels> | <meaning> |`")
    files = [d.path for d in docs] + tracked("deploy/**/*.yml", "deploy/**/*.yaml", "deploy/**/*.json")
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            # Metric-shaped names only (`warden_dev` is a database, `warden_ci_…` a scratch one).
            for metric in re.findall(r"\bwarden_[a-z_]+(?:_total|_seconds(?:_bucket|_sum|_count)?|_info"
                                    r"|_connections|_in_flight|_bytes)\b", line):
                family_prefix = metric.endswith("_") or any(n.startswith(metric + "_") for n in names)
                if metric not in names and not family_prefix and not metric.startswith(("warden_ci_", "warden_test")):
                    report(f"{rel(path)}:{number}", f"{metric}: no such metric in src/metrics.rs "
                                                    f"(it registers: {' '.join(sorted(names))})")


def main() -> int:
    docs = markdown_docs()
    tracked_roots = {rel(p).split("/")[0] for p in tracked()}
    md_names = {p.name for p in tracked("*.md")}
    check_make(docs)
    check_cli(docs)
    check_env()
    check_paths(docs, tracked_roots, md_names)
    check_env_example_citations(md_names)
    check_section_citations(docs)
    check_metrics(docs)
    for line in findings:
        print(f"docs-gate: {line}", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
