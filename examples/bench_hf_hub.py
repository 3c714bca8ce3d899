#!/usr/bin/env python3
"""huggingface_hub's list_models against the bench mock (examples/bench.rs).

    python3 examples/bench_hf_hub.py --port PORT --limit 50000

Consumes every item of HfApi(endpoint=http://127.0.0.1:PORT).list_models(limit=N)
and prints `key value` lines: the CPU (user+sys, resource.getrusage) and wall
time of the listing loop alone, interpreter start and import excluded (they are
printed apart), and the peak RSS of the process.

list_models sends `limit=N` as the page size of every request and stops after N
items; the real Hub caps a page at 1000. bench.rs's mock caps it at its own
page size so that both clients get the same pages.
"""

import argparse
import importlib.metadata
import resource
import sys
import time


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime


def http_stack():
    """The HTTP packages installed beside huggingface_hub, with versions: its
    CPU depends on them as much as on its own version."""
    found = []
    for name in ("httpx", "httpx2", "httpcore", "httpcore2", "h11", "requests", "urllib3"):
        try:
            found.append(f"{name}-{importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return ",".join(found) or "none"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--limit", type=int, required=True)
    args = p.parse_args()

    u0, s0 = cpu()
    import huggingface_hub
    from huggingface_hub import HfApi

    u1, s1 = cpu()
    api = HfApi(endpoint=f"http://127.0.0.1:{args.port}", token=False)
    w0 = time.perf_counter()
    n = 0
    for _ in api.list_models(limit=args.limit, token=False):
        n += 1
    wall = time.perf_counter() - w0
    u2, s2 = cpu()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"version {huggingface_hub.__version__}")
    print(f"python {sys.version.split()[0]}")
    print(f"http_stack {http_stack()}")
    print(f"models_written {n}")
    print(f"wall_s {wall:.3f}")
    print(f"cpu_s {u2 - u1 + s2 - s1:.3f}")
    print(f"cpu_user_s {u2 - u1:.3f}")
    print(f"cpu_sys_s {s2 - s1:.3f}")
    print(f"startup_import_cpu_s {u1 + s1:.3f}")
    print(f"peak_rss_mib {peak_kib / 1024:.1f}")


if __name__ == "__main__":
    main()
