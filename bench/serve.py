#!/usr/bin/env python3
"""Load test of `llmcost serve` on loopback (release build, SQLite, the bundled catalog).

  python3 bench/serve.py

- idle memory: RSS of `serve` after start-up and one warm-up request
- GET /api/v1/models with filters over the full catalog at a fixed 1,000 requests/s for 20 s,
  open loop (examples/load.rs): latency percentiles from when each request was due, errors
- POST /api/v1/cost: throughput with wrk (Debian package `wrk`), 2 threads, 64 connections, 10 s
Both the server and the load generator share this machine's 2 cores.
"""
import json, os, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/llmcost")
LOAD = os.path.join(ROOT, "target/release/examples/load")


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main():
    if not os.environ.get("LLMCOST_BENCH_NO_BUILD"):
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "llmcost", "--example", "load"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="llmcost-serve-")
    env = dict(os.environ, LLMCOST_DB=f"sqlite:{tmp}/llmcost.db", NO_COLOR="1")
    subprocess.run([BIN, "sync", "--offline", "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL)
    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen([BIN, "serve", "--bind", f"127.0.0.1:{port}", "--no-scheduler", "--quiet"], env=env,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            if subprocess.run(["curl", "-sf", f"{base}/healthz"], stdout=subprocess.DEVNULL).returncode == 0:
                break
            time.sleep(0.05)
        subprocess.run(["curl", "-sf", f"{base}/api/v1/models?limit=1"], stdout=subprocess.DEVNULL, check=True)
        time.sleep(0.5)
        print(f"idle RSS after start-up and one request: {rss_mb(server.pid):.1f} MB")

        models = f"{base}/api/v1/models?supports=tools&input_modality=text&sort=price&limit=50"
        out = subprocess.run([LOAD, models, "1000", "20"], capture_output=True, text=True, check=True).stdout
        r = json.loads(out)
        print(f"GET models (filtered, sorted, 50/page) at {r['rate']:.0f} req/s for {r['seconds']:.0f} s: "
              f"p50 {r['p50_ms']:.2f} ms, p90 {r['p90_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, max {r['max_ms']:.2f} ms, "
              f"{r['errors']} errors of {r['requests']}")
        print(f"RSS after the GET load: {rss_mb(server.pid):.1f} MB")

        if shutil.which("wrk"):
            script = os.path.join(tmp, "cost.lua")
            body = json.dumps({"model": "openai/gpt-4o", "usage": {"prompt_tokens": 1200, "completion_tokens": 300,
                               "prompt_tokens_details": {"cached_tokens": 800}}})
            open(script, "w").write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                                    f"wrk.body = {json.dumps(body)}\n")
            out = subprocess.run(["wrk", "-t2", "-c64", "-d10s", "--latency", "-s", script, f"{base}/api/v1/cost"],
                                 capture_output=True, text=True, check=True).stdout
            rps = [l for l in out.splitlines() if l.startswith("Requests/sec")]
            non2xx = [l for l in out.splitlines() if "Non-2xx" in l or "Socket errors" in l]
            lat = [l.strip() for l in out.splitlines() if l.strip().startswith(("50%", "99%"))]
            print(f"POST cost (wrk -t2 -c64 -d10s): {rps[0].split()[-1] if rps else '?'} req/s; latency {', '.join(lat)}; "
                  f"{'; '.join(non2xx) or 'no errors'}")
        else:
            print("wrk not installed (apt-get install wrk): POST cost throughput skipped")
        print(f"RSS at the end: {rss_mb(server.pid):.1f} MB")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
