#!/usr/bin/env python3
"""Load test of `llmcost proxy` on loopback (release build, SQLite, the bundled catalog).

  python3 bench/proxy.py

- a fast mock upstream (examples/mock_upstream.rs) answers every chat request with a recorded
  OpenRouter response (gpt-4o-mini, with usage and cost)
- latency through the proxy at a fixed 1,000 requests/s, open loop (examples/load.rs), with
  direct calls to the mock at 1,000 requests/s interleaved request by request, so that both
  meet the same moments of the host's noise (on this shared VM it swings by more than what is
  measured); 7 rounds of 5 s, each paired with a round of a bare forwarder
  (examples/bare_forward.rs) measured the same way: percentiles from when each request was
  sent (the difference is what the proxy adds: parse, forward, tee, price, record) and from
  when it was due (no hidden queueing); medians over the rounds
- throughput direct and through the proxy with wrk, 2 threads, 64 connections, 10 s
- RSS of the proxy idle and after the load; usage rows written vs requests answered
Everything (mock, proxy, load generator) shares this machine's 2 cores.
"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/llmcost")
LOAD = os.path.join(ROOT, "target/release/examples/load")
MOCK = os.path.join(ROOT, "target/release/examples/mock_upstream")
BARE = os.path.join(ROOT, "target/release/examples/bare_forward")
RATE, SECONDS, ROUNDS = 1000, 5, 7


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_up(url):
    for _ in range(200):
        if subprocess.run(["curl", "-s", "-o", "/dev/null", url]).returncode == 0:
            return
        time.sleep(0.05)
    sys.exit(f"{url} did not come up")


def med(runs, key):
    return statistics.median(r[key] for r in runs)


def load(urls, body):
    """One run loading every URL at RATE, requests interleaved: one result per URL."""
    out = subprocess.run([LOAD, ",".join(urls), str(RATE), str(SECONDS), body], capture_output=True, text=True,
                         check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def main():
    if not os.environ.get("LLMCOST_BENCH_NO_BUILD"):
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "llmcost", "--example", "load",
                        "--example", "mock_upstream", "--example", "bare_forward"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="llmcost-proxy-")
    env = dict(os.environ, LLMCOST_DB=f"sqlite:{tmp}/llmcost.db", NO_COLOR="1")
    subprocess.run([BIN, "sync", "--offline", "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL)
    base_port = 18500 + os.getpid() % 500
    mock_addr, proxy_addr, bare_addr = (f"127.0.0.1:{base_port + i}" for i in range(3))
    body = os.path.join(tmp, "chat.json")
    json.dump({"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Why TypeScript?"}]},
              open(body, "w"))
    mock = subprocess.Popen([MOCK, mock_addr])
    bare = subprocess.Popen([BARE, bare_addr, f"http://{mock_addr}/v1"])
    proxy = subprocess.Popen([BIN, "proxy", "--bind", proxy_addr, "--upstream", f"http://{mock_addr}/v1", "--quiet"],
                             env=env, stderr=subprocess.DEVNULL)
    direct_url = f"http://{mock_addr}/v1/chat/completions"
    proxy_url = f"http://{proxy_addr}/v1/chat/completions"
    answered = 0
    try:
        wait_up(f"http://{mock_addr}/")
        wait_up(f"http://{proxy_addr}/healthz")
        subprocess.run(["curl", "-sf", "-o", "/dev/null", "-H", "content-type: application/json", "--data-binary",
                        f"@{body}", proxy_url], check=True)
        answered += 1
        time.sleep(0.5)
        print(f"proxy idle RSS after start-up and one request: {rss_mb(proxy.pid):.1f} MB")

        # Each round: the proxy and direct calls interleaved, then the bare forwarder and direct
        # calls interleaved (which of the pair goes first alternates); medians over rounds.
        targets = {"proxy": proxy_url, "bare": f"http://{bare_addr}/v1/chat/completions"}
        runs = {n: [] for n in targets}
        direct = {n: [] for n in targets}
        for i in range(ROUNDS):
            for n, url in targets.items():
                pair = [direct_url, url] if i % 2 == 0 else [url, direct_url]
                d, r = sorted(load(pair, body), key=lambda x: x["url"] != direct_url)
                direct[n].append(d)
                runs[n].append(r)
                if n == "proxy":
                    answered += r["requests"] - r["errors"]
        for n in targets:
            for name, rs in ((n, runs[n]), (f"direct (beside {n})", direct[n])):
                rounds = " ".join(f"{r['sent_p50_ms']:.3f}" for r in rs)
                print(f"{name}, {RATE} req/s, {ROUNDS} rounds of {SECONDS} s, from send: "
                      f"p50 {med(rs, 'sent_p50_ms'):.3f} ms (rounds {rounds}), "
                      f"p90 {med(rs, 'sent_p90_ms'):.3f} ms, p99 {med(rs, 'sent_p99_ms'):.3f} ms; "
                      f"from due: p50 {med(rs, 'p50_ms'):.3f} ms, p99 {med(rs, 'p99_ms'):.3f} ms; "
                      f"{sum(r['errors'] for r in rs)} errors of {sum(r['requests'] for r in rs)}")

        def added(name, key):
            return statistics.median(r[key] - d[key] for r, d in zip(runs[name], direct[name]))
        # The load generator's timer wakes up to 1 ms late: latency from send resolves what the
        # proxy adds; latency from due shows no queueing hides behind it.
        for name, label in (("proxy", "the proxy"), ("bare", "a bare axum→reqwest forwarder (examples/bare_forward.rs)")):
            diffs = " ".join(f"{r['sent_p50_ms'] - d['sent_p50_ms']:+.3f}" for r, d in zip(runs[name], direct[name]))
            print(f"added by {label} (from send, median of rounds): p50 {added(name, 'sent_p50_ms'):+.3f} ms "
                  f"(rounds {diffs}), p99 {added(name, 'sent_p99_ms'):+.3f} ms")
        print(f"proxy RSS after the 1,000 req/s load: {rss_mb(proxy.pid):.1f} MB")

        if shutil.which("wrk"):
            script = os.path.join(tmp, "chat.lua")
            open(script, "w").write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                                    f"wrk.body = {json.dumps(open(body).read())}\n")
            for name, url in (("direct", direct_url), ("proxy", proxy_url)):
                out = subprocess.run(["wrk", "-t2", "-c64", "-d10s", "--latency", "-s", script, url],
                                     capture_output=True, text=True, check=True).stdout
                rps = [l for l in out.splitlines() if l.startswith("Requests/sec")]
                total = [l for l in out.splitlines() if "requests in" in l]
                errors = [l.strip() for l in out.splitlines() if "Non-2xx" in l or "Socket errors" in l]
                lat = [l.strip() for l in out.splitlines() if l.strip().startswith(("50%", "99%"))]
                if name == "proxy" and total:
                    answered += int(total[0].split()[0])
                print(f"wrk {name} (-t2 -c64 -d10s): {rps[0].split()[-1] if rps else '?'} req/s; "
                      f"latency {', '.join(lat)}; {'; '.join(errors) or 'no errors'}")
            print(f"proxy RSS after wrk: {rss_mb(proxy.pid):.1f} MB")
        else:
            print("wrk not installed: throughput skipped")
    finally:
        proxy.terminate()
        proxy.wait()
        for child in (bare, mock):
            child.terminate()
            child.wait()
    out = subprocess.run([BIN, "usage", "--json", "--since", "1d"], env=env, capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    print(f"usage rows written: {report['total']['requests']} for {answered} requests answered through the proxy "
          f"(recorded spend ${report['total']['cost_usd']})")


if __name__ == "__main__":
    main()
