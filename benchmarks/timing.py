"""Timing that holds up on a shared machine: synchronised calls, interleaved rounds, paired ratios.

The machine may be shared and timings are noisy, so:
- contenders are interleaved (round i runs A B C, the next B C A, ...), never all A then all B, so a
  burst of load from elsewhere hits every contender alike; we warm up first and report medians;
- every time ratio is the median of per-round paired ratios A_i / B_i (A and B from the same round),
  which cancels load that drifts between rounds; their quartiles show the noise;
- garbage collection is paused inside each timed call, and CUDA is synchronised before and after it.

Example:
    >>> import torch
    >>> times = interleaved({"a": lambda: None, "b": lambda: None}, repeats=3, warmup=1,
    ...                     device=torch.device("cpu"))
    >>> {name: len(seconds) for name, seconds in times.items()}
    {'a': 3, 'b': 3}
    >>> paired([2.0, 4.0, 6.0], [1.0, 2.0, 2.0])   # per-round ratios 2, 2, 3
    {'median': 2.0, 'q1': 2.0, 'q3': 2.5}
"""
import gc
import statistics
import time

import torch


def sync(device):
    """Wait for the queued kernels of a CUDA device; a no-op on the CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_call(fn, device):
    """Seconds one call of fn takes, with the device synchronised before and after.

    >>> time_call(lambda: sum(range(1000)), torch.device("cpu")) > 0
    True
    """
    sync(device)
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        sync(device)
        return time.perf_counter() - start
    finally:
        if gc_was_on:
            gc.enable()


def interleaved(fns, repeats, warmup, device):
    """{name: [seconds per repeat]} for every contender in `fns`, interleaved and rotated.

    Round i runs the contenders starting at number i mod k (A B C, B C A, C A B, ...): interleaving
    spreads outside load over all of them, rotating removes any "always runs after X" bias.
    See the module docstring for an example.
    """
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    sync(device)
    gc.collect()
    times = {name: [] for name in names}
    for i in range(repeats):
        for name in names[i % len(names):] + names[:i % len(names)]:
            times[name].append(time_call(fns[name], device))
    return times


def summary(times):
    """Median, min, max and every time of one contender.

    >>> summary([3.0, 1.0, 2.0])
    {'median_s': 2.0, 'min_s': 1.0, 'max_s': 3.0, 'times_s': [3.0, 1.0, 2.0]}
    """
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "times_s": times}


def medians(results):
    """{contender: median seconds} of a benchmark's results, leaving out its "paired" ratios.

    >>> medians({"a": summary([1.0, 3.0]), "paired": {}})
    {'a': 2.0}
    """
    return {name: res["median_s"] for name, res in results.items() if name != "paired"}


def ratio(a, b):
    """a / b, or NaN when b is 0.

    >>> ratio(1, 4), ratio(1, 0)
    (0.25, nan)
    """
    return a / b if b else float("nan")


def paired(times_a, times_b):
    """Median and quartiles of the per-round ratios A_i / B_i (a noise estimate for A / B).

    >>> paired([3.0], [2.0])
    {'median': 1.5, 'q1': 1.5, 'q3': 1.5}
    """
    ratios = sorted(a / b for a, b in zip(times_a, times_b))
    if len(ratios) == 1:
        return {"median": ratios[0], "q1": ratios[0], "q3": ratios[0]}
    q1, _, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
    return {"median": statistics.median(ratios), "q1": q1, "q3": q3}
