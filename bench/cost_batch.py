#!/usr/bin/env python3
"""Batch cost throughput of the release binary: `llmcost cost --batch` over N JSON lines
(real usage objects from fixtures/openrouter/chat_usage_samples.json, cycled), one core.

  python3 bench/cost_batch.py            # 1,000,000 lines
  python3 bench/cost_batch.py 200000
"""
import json, os, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/llmcost")
N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "llmcost"], cwd=ROOT, check=True)
    tmp = tempfile.mkdtemp(prefix="llmcost-cost-bench-")
    try:
        run(tmp)
    finally:
        # The batch file is ~500 MB at the default N.
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp):
    env = dict(os.environ, LLMCOST_DB=f"sqlite:{tmp}/db.sqlite")
    catalog = os.path.join(ROOT, "fixtures/openrouter/models_2026-08-14.json")
    subprocess.run([BIN, "-q", "sync", "--from-file", catalog], env=env, check=True, stdout=subprocess.DEVNULL)
    samples = json.load(open(os.path.join(ROOT, "fixtures/openrouter/chat_usage_samples.json")))["samples"]
    lines = [json.dumps({"model": s["model"], "usage": s["usage"]}) for s in samples if s["model"] != "openai/gpt-6-astra"]
    path = os.path.join(tmp, "batch.jsonl")
    with open(path, "w") as f:
        for i in range(N):
            f.write(lines[i % len(lines)])
            f.write("\n")
    for args, label in ((["cost", "--batch", path], "one JSON line out per line"), (["cost", "--batch", path, "--summary"], "--summary")):
        # taskset pins the run to one core.
        start = time.perf_counter()
        subprocess.run(["taskset", "-c", "0", BIN, *args], env=env, check=True, stdout=subprocess.DEVNULL)
        secs = time.perf_counter() - start
        print(f"{label:<28} {N:>9} lines in {secs:6.2f} s = {N / secs:>10,.0f} lines/s (one core, incl. loading the catalog)")


if __name__ == "__main__":
    main()
