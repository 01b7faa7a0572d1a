"""Wall time of every built-in scenario (after the one-off model compilation), against issue 3's 2 s budget.

python benchmarks/bench_builtins.py
"""

import time

import lytes
from lytes.scenario.catalog import names


def main() -> None:
    lytes.simulate("healthy")  # warm-up: model code generation / cache load
    print(f"{'built-in':36s} {'seconds':>8s}")
    worst = 0.0
    for name in names():
        start = time.perf_counter()
        lytes.simulate(name)
        elapsed = time.perf_counter() - start
        worst = max(worst, elapsed)
        print(f"{name:36s} {elapsed:8.2f}")
    print(f"slowest: {worst:.2f} s (budget 2 s)")


if __name__ == "__main__":
    main()
