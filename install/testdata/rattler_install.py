"""Drive py-rattler's installer for envlock's side-by-side benchmark.

Usage: rattler_install.py CHANNEL_URL SPEC...

Solves SPEC... on the channel once (not timed), prints "ready N", then
reads lines "PREFIX<TAB>CACHE_DIR" from stdin and, for each, installs the
solved records into PREFIX with CACHE_DIR as rattler's package cache,
printing the seconds rattler.install took (or "ERROR ..."). An empty
line ends it. Used by install/rattler_bench_test.go and
scripts/bench-rattler.sh (which counts system calls of one install).
"""
import asyncio
import os
import sys
import time

from rattler import install, solve


async def main():
    channel, specs = sys.argv[1], sys.argv[2:]
    recs = await solve(sources=[channel], specs=specs, platforms=["linux-64", "noarch"])
    print("ready", len(recs), flush=True)
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            break
        prefix, cache = line.split("\t")
        start = time.perf_counter()
        try:
            await install(recs, target_prefix=prefix, cache_dir=cache, show_progress=False)
        except Exception as e:  # the benchmark reports it
            print("ERROR", type(e).__name__, str(e).replace("\n", " "), flush=True)
            continue
        print("%.6f" % (time.perf_counter() - start), flush=True)


asyncio.run(main())
# py-rattler's runtime can crash while the interpreter shuts down, after
# the answers are printed; leave at once.
sys.stdout.flush()
os._exit(0)
