#!/usr/bin/env python3
"""Server time of the dashboard's pages (release build, SQLite).

  python3 bench/dashboard.py            # builds target/release/llmcost and the load example

Two catalogs: the bundled snapshot (414 OpenRouter listings) and a synthetic one of 5,000
models (the 2026-08-14 recording with each model copied under new ids, imported with
`sync --from-file`). For each, a warm-up request, then the catalog page (unfiltered, page 1 of
100 rows; and filtered + sorted) and a model page at a fixed rate (examples/load.rs, open
loop). Reported: latency percentiles seen by the client on loopback, and the mean server time
from the service's own histogram (`llmcost_http_request_duration_seconds`, measured inside
the app around the handler, by route). The server and the load generator share the cores.
"""
import json, os, re, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/llmcost")
LOAD = os.path.join(ROOT, "target/release/examples/load")
FIXTURE = os.path.join(ROOT, "fixtures/openrouter/models_2026-08-14.json")
RATE, SECONDS = 100, 10


def synthetic(path, n):
    data = json.load(open(FIXTURE))
    models = data["data"] if isinstance(data, dict) else data
    models = [m for m in models if not m["id"].startswith("~")]
    out, i = [], 0
    while len(out) < n:
        for m in models:
            if len(out) >= n:
                break
            c = json.loads(json.dumps(m))
            suffix = f"-x{i}"
            base, _, variant = c["id"].partition(":")
            c["id"] = base + suffix + (":" + variant if variant else "")
            if c.get("canonical_slug"):
                c["canonical_slug"] += suffix
            c["name"] = f'{c.get("name", base)} ({i})'
            out.append(c)
        i += 1
    json.dump({"data": out}, open(path, "w"))


def server_mean_ms(base, route):
    text = subprocess.run(["curl", "-sf", f"{base}/metrics"], capture_output=True, text=True, check=True).stdout
    def value(name):
        pat = re.compile(r'^' + name + r'\{(.*)\} ([0-9.e+-]+)$', re.M)
        return sum(float(v) for labels, v in pat.findall(text)
                   if f'route="{route}"' in labels and 'method="GET"' in labels)
    count = value("llmcost_http_request_duration_seconds_count")
    return value("llmcost_http_request_duration_seconds_sum") / count * 1000 if count else float("nan"), int(count)


def measure(label, db, models_file, model):
    env = dict(os.environ, LLMCOST_DB=f"sqlite:{db}", NO_COLOR="1")
    if models_file:
        subprocess.run([BIN, "sync", "--from-file", models_file, "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL)
    else:
        subprocess.run([BIN, "sync", "--offline", "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL)
    port = 18500 + os.getpid() % 400
    server = subprocess.Popen([BIN, "serve", "--bind", f"127.0.0.1:{port}", "--no-scheduler", "--quiet"], env=env,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            if subprocess.run(["curl", "-sf", f"{base}/healthz"], stdout=subprocess.DEVNULL).returncode == 0:
                break
            time.sleep(0.05)
        pages = [("catalog /", "/", "/"),
                 ("catalog filtered+sorted", "/?q=qwen&cap=tools&input=text&sort=price&desc=1", "/"),
                 ("catalog page 3", "/?page=3", "/"),
                 ("model page", f"/models/{model}", "/models/{*id}")]
        print(f"\n{label}")
        for name, path, route in pages:
            subprocess.run(["curl", "-sf", "-o", "/dev/null", base + path], check=True)  # warm the snapshot
            before_ms, before_n = server_mean_ms(base, route)
            out = subprocess.run([LOAD, base + path, str(RATE), str(SECONDS)], capture_output=True, text=True, check=True).stdout
            r = json.loads(out)
            after_ms, after_n = server_mean_ms(base, route)
            n = after_n - before_n
            mean = (after_ms * after_n - before_ms * before_n) / n if n else float("nan")
            print(f"  {name:<26} client p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, max {r['max_ms']:.2f} ms; "
                  f"server mean {mean:.2f} ms over {n} requests; {r['errors']} errors")
    finally:
        server.terminate()
        server.wait()


def main():
    if not os.environ.get("LLMCOST_BENCH_NO_BUILD"):
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "llmcost", "--example", "load"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="llmcost-dash-")
    measure("bundled snapshot (414 listings)", os.path.join(tmp, "small.db"), None, "openai/gpt-4o")
    big = os.path.join(tmp, "models_5000.json")
    synthetic(big, 5000)
    measure("synthetic catalog (5,000 models)", os.path.join(tmp, "big.db"), big, "openai/gpt-4o-x0")


if __name__ == "__main__":
    main()
