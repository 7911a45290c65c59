"""An unwritable and a full log directory: the service keeps answering."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import time

from harness.config import IS_ROOT, LOAD_SECS, RUN_ID, SHUTDOWN_TIMEOUT_SECS, now
from harness.load import Load, Record, histogram
from harness.procs import Postgres, REGISTRY, Redis, Warden, base_env, free_port, make_tempdir
from harness.scenario import Scenario, common_checks


def scenario_logs(pg: Postgres, redis: Redis | None) -> Scenario:
    s = Scenario("logs")
    db = f"chaos_logs_{RUN_ID}"
    url = pg.createdb(db)
    work = make_tempdir("logs")

    def run_load(w: Warden, tag: str, secs: float) -> list[Record]:
        load = Load([w.port], tag, reg_workers=1, read_workers=2).start()
        time.sleep(secs)
        load.stop()
        return load.snapshot()

    # (a) LOG_DIR whose parent is a regular file: the directory can never be created
    blocker = os.path.join(work, "not-a-dir")
    with open(blocker, "w") as f:
        f.write("x")
    wa = Warden("logs-unwritable", base_env(free_port(), url, LOG_DIR=f"{blocker}/logs"), work)
    wa.start()
    wa.wait_ready()
    recs = run_load(wa, "la", LOAD_SECS)
    wa.sigterm()
    rc = wa.wait_exit(SHUTDOWN_TIMEOUT_SECS + 5)
    err = wa.read(wa.stderr_path)
    said = len(re.findall(r"cannot (open log directory|write log file)", err))
    bad = [r for r in recs if not r.ok]
    s.fig("unwritable dir: requests", len(recs))
    s.fig("unwritable dir: failed", len(bad))
    s.check("unwritable LOG_DIR: keeps serving (every request 2xx)", recs and not bad,
            histogram(bad) if bad else f"{len(recs)} requests")
    s.check("unwritable LOG_DIR: reported exactly once on stderr", said == 1,
            f"{said} lines: {err.strip()[:200]}")
    s.check("unwritable LOG_DIR: console logging continues",
            "request completed" in wa.read(wa.stdout_path), "")
    s.check("unwritable LOG_DIR: exit code 0", rc == 0, rc)

    # (b) disk full while running: LOG_DIR on a small tmpfs that fills up mid-run (falls back to
    # the day's log file being a symlink to /dev/full when mounting is not permitted)
    mnt = os.path.join(work, "tmpfs")
    os.mkdir(mnt)
    mounted = False
    if IS_ROOT:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k,mode=0755", "tmpfs",
                                  mnt], capture_output=True, timeout=10).returncode == 0
    if mounted:
        REGISTRY.add(f"umount {mnt}", lambda: subprocess.run(["umount", "-l", mnt], timeout=10))
        mode = "tmpfs 512 KiB filled mid-run"
    else:
        day = time.strftime("%Y-%m-%d", time.gmtime())
        os.symlink("/dev/full", os.path.join(mnt, f"warden.log.{day}"))
        mode = "log file -> /dev/full"
    s.fig("disk-full mode", mode)
    wb = Warden("logs-full", base_env(free_port(), url, LOG_DIR=mnt), work)
    wb.start()
    wb.wait_ready()
    load = Load([wb.port], "lb", reg_workers=1, read_workers=2).start()
    time.sleep(LOAD_SECS / 2)
    t_fill = now()
    if mounted:
        fill_until_enospc(os.path.join(mnt, "filler"))
    time.sleep(LOAD_SECS)
    load.stop()
    recs = load.snapshot()
    err = wb.read(wb.stderr_path)
    said = len(re.findall(r"cannot (open log directory|write log file)", err))
    bad = [r for r in recs if not r.ok]
    after_fill = [r for r in recs if r.t0 >= t_fill]
    s.fig("disk full: requests", len(recs))
    s.fig("disk full: requests after the disk filled", len(after_fill))
    s.fig("disk full: failed", len(bad))
    s.check("disk full: keeps serving (every request 2xx)", after_fill and not bad,
            histogram(bad) if bad else f"{len(after_fill)} after the fill")
    s.check("disk full: reported exactly once on stderr", said == 1,
            f"{said} lines: {err.strip()[:200]}")
    stdout_lines = wb.read(wb.stdout_path).count("request completed")
    s.check("disk full: console logging continues", stdout_lines >= len(recs) * 0.9,
            f"{stdout_lines} request lines on stdout for {len(recs)} requests")
    wb.sigterm()
    rc = wb.wait_exit(SHUTDOWN_TIMEOUT_SECS + 5)
    s.check("disk full: exit code 0 (flush failure does not crash the exit)", rc == 0, rc)
    common_checks(s, [wa, wb], recs)
    return s


def fill_until_enospc(path: str) -> None:
    """Write zeros to `path` until the filesystem is full.

    Unbuffered, so the ENOSPC surfaces in the loop and never again from close(): a buffered file
    would raise it a second time when the `with` block flushed on exit.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError as e:
        if e.errno != errno.ENOSPC:
            raise
    finally:
        os.close(fd)
