#!/usr/bin/env python3
"""End-to-end sync benchmark: wall time and peak memory of the real release binary.

  python3 bench/sync.py              # all scenarios, SQLite
  python3 bench/sync.py --quick      # fewer repetitions, scaling up to 10,000 models
  python3 bench/sync.py --postgres   # the same on the local PostgreSQL server
                                     # (LLMCOST_BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432)

Scenarios (each on a fresh SQLite file unless said otherwise):
  full        `llmcost sync` of the 400-model 2026-08-08 catalog with every listing's provider
              endpoints, from a local mock OpenRouter (examples/mock_openrouter.rs)
  unchanged   the same sync again: the upstream answers 304 (the normal no-change re-sync)
  rediff      the same sync with --force: full fetch, parse and diff, nothing to write
  scale N     `sync --from-file` of N synthetic models (the real catalog replicated with new
              ids), then a forced no-change re-sync: time should grow linearly with N
"""
import json, os, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/llmcost")
MOCK = os.path.join(ROOT, "target/release/examples/mock_openrouter")
CATALOG = os.path.join(ROOT, "fixtures/openrouter/models_2026-08-08.json")
QUICK = "--quick" in sys.argv
POSTGRES = "--postgres" in sys.argv
PG_SERVER = os.environ.get("LLMCOST_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
CREATED = []


def db_url(path):
    """A fresh database: a SQLite file at `path`, or a PostgreSQL database named after it."""
    if not POSTGRES:
        return f"sqlite:{path}"
    name = "llmcost_bench_" + os.path.basename(path).replace(".", "_")
    if name not in CREATED:
        CREATED.append(name)
        drop(name)
    # e.g. LLMCOST_BENCH_PG_QUERY="?sslmode=disable" to time without TLS negotiation
    return f"{PG_SERVER}/{name}{os.environ.get('LLMCOST_BENCH_PG_QUERY', '')}"


def drop(name):
    subprocess.run(["psql", f"{PG_SERVER}/test", "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)


def run_measured(args, db, url=None):
    """Like run, with the child's peak RSS from wait4."""
    env = dict(os.environ, LLMCOST_DB=db_url(db), NO_COLOR="1")
    env.pop("OPENROUTER_API_KEY", None)
    if url:
        env["LLMCOST_OPENROUTER_URL"] = url
    start = time.perf_counter()
    pid = os.posix_spawn(BIN, [BIN, *args, "--json", "--quiet"], env, file_actions=[
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
    ])
    _, status, usage = os.wait4(pid, 0)
    ms = (time.perf_counter() - start) * 1000
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"llmcost {' '.join(args)} failed (exit {os.waitstatus_to_exitcode(status)})")
    return ms, usage.ru_maxrss / 1024


def summary(name, samples):
    times = [t for t, _ in samples]
    rss = max(r for _, r in samples)
    print(f"{name:<40} median {statistics.median(times):8.1f} ms   min {min(times):8.1f} ms   peak RSS {rss:6.1f} MB   (n={len(samples)})")
    return statistics.median(times)


def synthetic(n, path):
    models = json.load(open(CATALOG))
    out = []
    i = 0
    while len(out) < n:
        for m in models:
            if len(out) >= n:
                break
            if m["id"].startswith("~"):
                continue
            c = dict(m)
            author, _, rest = m["id"].partition("/")
            slug, _, variant = rest.partition(":")
            c["id"] = f"{author}/{slug}-syn{i}" + (f":{variant}" if variant else "")
            c["canonical_slug"] = f"{author}/{slug}-syn{i}-canonical"
            out.append(c)
        i += 1
    json.dump(out, open(path, "w"))


def main():
    if not os.environ.get("LLMCOST_BENCH_NO_BUILD"):  # set it to time an already built binary
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "llmcost", "--example", "mock_openrouter"], cwd=ROOT, check=True)
    reps = 3 if QUICK else 7
    tmp = tempfile.mkdtemp(prefix="llmcost-bench-")
    mock = subprocess.Popen([MOCK, CATALOG], stdout=subprocess.PIPE, text=True)
    try:
        url = mock.stdout.readline().strip()
        print(f"mock OpenRouter at {url}; {reps} repetitions; release build; {'PostgreSQL' if POSTGRES else 'SQLite'}\n")
        full, unchanged, rediff = [], [], []
        for r in range(reps):
            db = os.path.join(tmp, f"full{r}.db")
            full.append(run_measured(["sync"], db, url))
            unchanged.append(run_measured(["sync"], db, url))
            rediff.append(run_measured(["sync", "--force"], db, url))
        summary("full sync, 400 models + endpoints", full)
        summary("unchanged re-sync (304)", unchanged)
        summary("forced re-sync (full diff, no change)", rediff)
    finally:
        mock.kill()

    print()
    sizes = [1000, 10000] if QUICK else [1000, 10000, 100000]
    per_k = []
    for n in sizes:
        path = os.path.join(tmp, f"synthetic_{n}.json")
        synthetic(n, path)
        first, again = [], []
        for r in range(max(1, reps // 2)):
            db = os.path.join(tmp, f"scale{n}_{r}.db")
            first.append(run_measured(["sync", "--from-file", path], db))
            again.append(run_measured(["sync", "--from-file", path, "--force"], db))
        t = summary(f"scale {n:>6}: first sync", first)
        summary(f"scale {n:>6}: forced re-sync", again)
        per_k.append((n, t / (n / 1000)))
    print()
    for n, ms in per_k:
        print(f"  {n:>6} models: {ms:6.1f} ms per 1,000 models")
    for name in CREATED:
        drop(name)


if __name__ == "__main__":
    main()
