"""Timing helper shared by the benchmark peer scripts (run as scripts, so this folder is on sys.path)."""
import statistics
import time


def median_ms(fn, warmup, repeats, sync=lambda: None):
    """Median wall time in milliseconds of `repeats` calls after `warmup` calls; `sync` waits for queued device work."""
    for _ in range(warmup):
        fn(); sync()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(); sync()
        ts.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ts)
