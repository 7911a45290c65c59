"""The admin list's exact `total`: what each way of keeping it costs the database (issue 16).

`GET /users/` answers a page of 20 and the exact number of live users. Counting per request is
what the contract's exact `total` asks for and what warden does (`PAGE_LIVE` in
src/store/users.rs: the page with the count as a scalar subquery); over 10,000 users the count
is most of the database's work. This phase replays one list request's statements with
`pgbench -M prepared -c 16` on a copy of the benchmark's users, once per design, beside
`pgbench -S` in the same run, and measures what the trigger designs cost the writes:

* `count` — today: the page and the count per request, the heap as the seed left it;
* `count_vacuumed` — the same after `VACUUM` (the visibility map set, as autovacuum leaves a
  production table): the count can become an index-only scan;
* `count_partial_index` — the same with an index on the live users' ids only;
* `counter_row` — a counter row kept by a trigger on `users.users`, read in the page statement;
* `counter_striped` — the same spread over 16 rows (one per backend pid modulo 16), summed;
* `no_total` — the page alone: the ceiling of any design.

Writes: `INSERT` of one user per transaction (registration's write) at c=8, without a trigger
and with each counter trigger. Run it with `BENCH_PHASES=list_designs bench/run.sh`.
"""

import json
import os
import re

USERS = 10_000
CLIENTS = 16
WRITE_CLIENTS = 8
STRIPES = 16

# VACUUM cannot run inside the transaction psql wraps a multi-statement command in.
VACUUM = "VACUUM ANALYZE users.users"

# The count subquery of PAGE_LIVE, replaced per design (one SQL text: the Rust source's).
COUNT_SUBQUERY = re.compile(
    r"\(SELECT count\(\*\) FROM users\.users WHERE is_deleted = false\) AS total")

COUNTER_SETUP = f"""
CREATE TABLE bench_live_total (stripe int PRIMARY KEY, live bigint NOT NULL);
INSERT INTO bench_live_total
    SELECT 0, count(*) FROM users.users WHERE is_deleted = false;
INSERT INTO bench_live_total SELECT g, 0 FROM generate_series(1, {STRIPES - 1}) g;
CREATE FUNCTION bench_live_delta() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta int := 0;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') AND NOT NEW.is_deleted THEN delta := delta + 1; END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') AND NOT OLD.is_deleted THEN delta := delta - 1; END IF;
    IF delta <> 0 THEN
        UPDATE bench_live_total SET live = live + delta
        WHERE stripe = CASE WHEN TG_ARGV[0] = 'striped' THEN pg_backend_pid() % {STRIPES} ELSE 0 END;
    END IF;
    RETURN NULL;
END $$;
"""

# The counter as it must be before a trigger starts keeping it (the run without one added users).
RECOUNT = ("UPDATE bench_live_total SET live = CASE WHEN stripe = 0 THEN (SELECT count(*) FROM "
           "users.users WHERE is_deleted = false) ELSE 0 END; ")

TRIGGERS = {
    "none": "",
    "counter_row": "CREATE TRIGGER bench_live AFTER INSERT OR DELETE OR UPDATE OF is_deleted "
                   "ON users.users FOR EACH ROW EXECUTE FUNCTION bench_live_delta('row')",
    "counter_striped": "CREATE TRIGGER bench_live AFTER INSERT OR DELETE OR UPDATE OF is_deleted "
                       "ON users.users FOR EACH ROW EXECUTE FUNCTION bench_live_delta('striped')",
}

INSERT_USER = ("INSERT INTO users.users (username, email, password_hash, first_name, last_name, "
               "bio, is_active, created_at, updated_at, is_deleted) SELECT 'w' || n, 'w' || n || "
               "'@bench.example.com', 'x', 'Bench', 'Writer', '', true, now(), now(), false "
               "FROM (SELECT nextval('bench_writer') AS n) s;")


def designs(page_live_sql):
    """(key, label, setup statements run once before, each on its own, the page statement)."""
    if not COUNT_SUBQUERY.search(page_live_sql):
        raise RuntimeError("PAGE_LIVE no longer has the count subquery this phase replaces")
    page = lambda total: COUNT_SUBQUERY.sub(total, page_live_sql)
    return [
        ("count", "count per request (today), heap as seeded", [], page_live_sql),
        ("count_vacuumed", "count per request, after VACUUM", [VACUUM], page_live_sql),
        ("count_partial_index", "count per request, index on live ids",
         ["CREATE INDEX bench_live_ids ON users.users (id) WHERE is_deleted = false", VACUUM],
         page_live_sql),
        ("counter_row", "trigger-kept counter, one row", [COUNTER_SETUP],
         page("(SELECT live FROM bench_live_total WHERE stripe = 0) AS total")),
        ("counter_striped", f"trigger-kept counter, {STRIPES} rows summed", [],
         page("(SELECT sum(live) FROM bench_live_total) AS total")),
        ("no_total", "page without a total (ceiling)", [], page("0::bigint AS total")),
    ]


def measure(psql, create_db, run_pgbench, pgbench_select, statements, log):
    """Figures per design; `statements` = (effective-permissions SQL, PAGE_LIVE SQL for page 1
    of 20) as bench.py reads them from src/store, `create_db()` a fresh database migrated by warden with
    its users seeded (returns its name and the admin id), `run_pgbench(db, clients, sql,
    variables)` the tps of pgbench -M prepared on a script, `pgbench_select()` the tps of
    pgbench -S c=16 on the floor's database."""
    permissions_sql, page_live_sql = statements
    db, admin_id = create_db()
    out = {"users": int(psql(db, "SELECT count(*) FROM users.users WHERE is_deleted = false")),
           "designs": {}, "writes": {}}
    out["pgbench_s_tps"] = pgbench_select()
    log(f"  pgbench -S c=16: {out['pgbench_s_tps']:.0f} tps")
    for key, label, setup, page_sql in designs(page_live_sql):
        for statement in setup:
            psql(db, statement)
        sql = "\n".join([permissions_sql, page_sql]) + "\n"
        tps = run_pgbench(db, CLIENTS, sql, {"aid": admin_id})
        plan = psql(db, "EXPLAIN (COSTS OFF) " + page_sql)
        total = psql(db, page_sql).rsplit("|", 1)[-1]
        out["designs"][key] = {"label": label, "tps": tps, "total": int(total),
                               "count_plan": count_plan(plan)}
        log(f"  {label}: {tps:.0f} tps ({tps / out['pgbench_s_tps']:.0%} of pgbench -S), "
            f"total {total}")
    # Writes last: they add users (the designs above all saw the same table).
    psql(db, "DROP INDEX IF EXISTS users.bench_live_ids; CREATE SEQUENCE bench_writer")
    for key, trigger in TRIGGERS.items():
        psql(db, "DROP TRIGGER IF EXISTS bench_live ON users.users")
        if trigger:
            psql(db, RECOUNT + trigger)
        tps = run_pgbench(db, WRITE_CLIENTS, INSERT_USER + "\n", {})
        out["writes"][key] = {"tps": tps}
        log(f"  INSERT one user c={WRITE_CLIENTS}, trigger {key}: {tps:.0f} tps")
    counted = psql(db, "SELECT count(*) FROM users.users WHERE is_deleted = false")
    kept = psql(db, "SELECT sum(live) FROM bench_live_total")
    out["counter_exact"] = counted == kept
    log(f"  counter after the writes: {kept}, count(*) {counted}")
    return out


def count_plan(plan):
    """The scan that computes the total (the statement's InitPlan), or "—" without one."""
    lines = plan.splitlines()
    start = next((i for i, line in enumerate(lines) if "InitPlan" in line), None)
    if start is None:
        return "—"
    scan = next((line for line in lines[start:] if "Scan" in line), lines[start])
    return scan.strip().removeprefix("->").strip()


def markdown(res):
    """The report section (bench/report.py calls it when the run measured it)."""
    a = res.get("list_designs")
    if not a:
        return []
    floor = a["pgbench_s_tps"]
    rows = [
        "## The list's exact total: designs (`BENCH_PHASES=list_designs`)",
        "",
        f"One list request's statements (effective permissions + the page of 20 with its total) "
        f"replayed by `pgbench -M prepared -c {CLIENTS}` over {a['users']:,} live users, per "
        f"way of keeping the total; `pgbench -S` c=16 in the same run: {floor:,.0f} tps.",
        "",
        "| design | tps | of `pgbench -S` | total read | how the total is read |",
        "|---|---:|---:|---:|---|",
    ]
    for d in a["designs"].values():
        rows.append(f"| {d['label']} | {d['tps']:,.0f} | {d['tps'] / floor:.0%} | {d['total']:,} | "
                    f"`{d['count_plan']}` |")
    base = a["writes"]["none"]["tps"]
    rows += ["", f"One user `INSERT` per transaction, c={WRITE_CLIENTS}:", "",
             "| trigger | tps | of no trigger |", "|---|---:|---:|"]
    for key, w in a["writes"].items():
        rows.append(f"| {key} | {w['tps']:,.0f} | {w['tps'] / base:.0%} |")
    rows += ["", f"The counter matched `count(*)` after the writes: "
             f"{'yes' if a['counter_exact'] else 'NO'}.", ""]
    return rows


def write(res, out_dir, name, duration_s):
    """`<name>.json` (the machine and this phase's figures) and `<name>.md` (its section under
    a header naming the run) in `out_dir`, for a run of this phase alone."""
    with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
        json.dump({"machine": res["machine"], "list_designs": res["list_designs"]}, f, indent=1)
        f.write("\n")
    m = res["machine"]
    head = ["# warden benchmark — list designs", "",
            f"{m['date']} · git `{m['git_rev']}` · {m['nproc']} × {m['cpu']} · PostgreSQL "
            f"{m['postgres']} (autovacuum {m['autovacuum']}) · {duration_s} s per measurement", ""]
    with open(os.path.join(out_dir, f"{name}.md"), "w") as f:
        f.write("\n".join(head + markdown(res)))
