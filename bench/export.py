#!/usr/bin/env python3
"""Export benchmark: `llmcost export` of 5,000 models into an application's table.

  python3 bench/export.py             # PostgreSQL target (LLMCOST_BENCH_POSTGRES,
                                      # default postgres://postgres@127.0.0.1:5432), SQLite store
  python3 bench/export.py --sqlite    # SQLite target

Scenarios, each timed over several repetitions on a fresh target:
  first       the table is created and 5,000 rows inserted
  unchanged   the same export again: read, compare, write nothing
  repriced    after a sync in which every price changed: 5,000 rows updated
"""
import json, os, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sync as bench  # noqa: E402  (the synthetic catalog and the release build)

N = 5000
SQLITE = "--sqlite" in sys.argv


def timed(args, store):
    env = dict(os.environ, LLMCOST_DB=f"sqlite:{store}", NO_COLOR="1")
    start = time.perf_counter()
    subprocess.run([bench.BIN, *args, "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def repriced(src, dst):
    models = json.load(open(src))
    for m in models:
        for k, v in list(m.get("pricing", {}).items()):
            if isinstance(v, str) and v not in ("0", "-1"):
                m["pricing"][k] = str(float(v) * 1.1)
    json.dump(models, open(dst, "w"))


def main():
    if not os.environ.get("LLMCOST_BENCH_NO_BUILD"):  # set it to time an already built binary
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "llmcost"], cwd=bench.ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="llmcost-export-")
    catalog, dearer = os.path.join(tmp, "catalog.json"), os.path.join(tmp, "dearer.json")
    bench.synthetic(N, catalog)
    repriced(catalog, dearer)
    first, unchanged, updated = [], [], []
    for r in range(5):
        store = os.path.join(tmp, f"store{r}.db")
        timed(["sync", "--from-file", catalog, "--observed-at", "2026-01-01"], store)
        if SQLITE:
            target = f"sqlite:{os.path.join(tmp, f'app{r}.db')}"
        else:
            name = f"llmcost_bench_export_{r}"
            bench.drop(name)
            subprocess.run(["psql", f"{bench.PG_SERVER}/test", "-qc", f"CREATE DATABASE {name}"], check=True)
            target = f"{bench.PG_SERVER}/{name}"
        first.append(timed(["export", "--to", target], store))
        unchanged.append(timed(["export", "--to", target], store))
        timed(["sync", "--from-file", dearer, "--observed-at", "2026-01-02"], store)
        updated.append(timed(["export", "--to", target], store))
        if not SQLITE:
            bench.drop(name)
    kind = "SQLite" if SQLITE else "PostgreSQL"
    print(f"export of {N} models into {kind}, SQLite store, release build, whole process")
    for label, xs in [("first (create + insert)", first), ("unchanged", unchanged), ("all repriced (update)", updated)]:
        print(f"  {label:<26} median {statistics.median(xs):7.1f} ms   min {min(xs):7.1f} ms   (n={len(xs)})")


if __name__ == "__main__":
    main()
