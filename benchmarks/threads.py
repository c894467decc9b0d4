"""Where a second BLAS thread starts to pay: float32 products of growing size, 1 vs N threads.

    python benchmarks/threads.py            # prints a table and the measured crossover

neuroflow.threads.SMALL_PRODUCT is this crossover, rounded: below it a product runs on one
thread. Run it on a quiet machine; each size keeps the fastest of several rounds.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
from threadpoolctl import ThreadpoolController

# (m, k, n): the products the seed models run (batch x features x units, their transposes
# in backward, im2col rows x patch x filters) and sizes around OpenBLAS's own switch (262,144)
SHAPES = [
    (1, 784, 128), (1, 784, 512), (32, 128, 10), (128, 512, 10), (32, 784, 16),
    (16, 784, 128), (32, 784, 64), (32, 784, 128), (128, 784, 64), (128, 784, 128),
    (128, 784, 512), (784, 128, 512), (1600, 128, 10), (5408, 9, 32), (1352, 288, 64),
]  # fmt: skip


def seconds(a, b, repeats: int) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
        best = min(best, (time.perf_counter() - start) / repeats)
    return best


def main() -> int:
    controller = ThreadpoolController()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    rng = np.random.default_rng(0)
    header = f"{'m x k x n':>18s} {'mult-adds':>11s} {'1 thread us':>12s}"
    print(f"{header} {cores} threads us  speed-up")
    crossover = None
    for m, k, n in sorted(SHAPES, key=lambda s: s[0] * s[1] * s[2]):
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        repeats = max(3, int(3e7 / (m * k * n)))
        times = []
        for threads in (1, cores):
            with controller.limit(limits=threads, user_api="blas"):
                a @ b
                times.append(seconds(a, b, repeats))
        gain = times[0] / times[1]
        if gain >= 1.1 and crossover is None:
            crossover = m * k * n
        elif gain < 1.1:
            crossover = None  # the first size from which every larger one gains
        print(
            f"{f'{m} x {k} x {n}':>18s} {m * k * n:>11,d} {times[0] * 1e6:>12.1f} "
            f"{times[1] * 1e6:>12.1f} {gain:>9.2f}"
        )
    found = f"{crossover:,d}" if crossover else "no measured size"
    print(f"\nA second thread gains 10% or more from {found} mult-adds on.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
