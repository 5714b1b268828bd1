"""Timing helper shared by the benchmark peer scripts (run as scripts, so this folder is on sys.path)."""
import math
import statistics
import time


def median_ms(fn, warmup, repeats, sync=lambda: None, min_sample_ms=0.0):
    """Median wall time in milliseconds of one call of `fn` over `repeats` samples after `warmup` calls; `sync` waits
    for queued device work. With `min_sample_ms` > 0 each sample times a batch of back-to-back calls lasting about that
    long (batch = that time over the fastest warm-up call, rounded up, 1 to 1000) and reports the mean per call, like
    the CLI's Timing.MedianMs."""
    fastest = math.inf
    for _ in range(warmup):
        t0 = time.perf_counter()
        fn(); sync()
        fastest = min(fastest, (time.perf_counter() - t0) * 1000)
    batch = 1
    if min_sample_ms > 0 and math.isfinite(fastest):
        batch = int(min(max(math.ceil(min_sample_ms / max(fastest, 1e-6)), 1), 1000))
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(batch):
            fn(); sync()
        ts.append((time.perf_counter() - t0) * 1000 / batch)
    return statistics.median(ts)
