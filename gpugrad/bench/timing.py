"""Timing a call the way a training loop runs it.

Each repetition makes ``calls`` calls back to back, holding on to the previous result
while the next is computed (so no library can recycle its last output's memory), then
waits for the device (``sync``) before the clock stops; ``calls`` is chosen so that a
repetition lasts at least ``Schedule.repetition`` seconds, which also warms the call up.
The median over repetitions is the time per call, the interquartile range its spread."""
import math
import statistics
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    repetition: float   # seconds one repetition lasts at least
    repetitions: int    # how many, unless the budget runs out first...
    budget: float       # ...seconds, after at least ``least`` repetitions
    least: int


FULL = Schedule(repetition=0.05, repetitions=7, budget=5.0, least=3)
QUICK = Schedule(repetition=0.002, repetitions=3, budget=0.1, least=2)


@dataclass(frozen=True)
class Timing:
    per_call: tuple     # seconds per call, one entry per repetition
    calls: int          # calls per repetition

    @property
    def median(self):
        return statistics.median(self.per_call)

    @property
    def spread(self):
        """Half the interquartile range, relative to the median."""
        if len(self.per_call) < 2:
            return 0.0
        q1, _, q3 = statistics.quantiles(self.per_call, n=4, method="inclusive")
        return (q3 - q1) / 2 / self.median


def holding_last(call):
    """``call``, holding on to its previous result while it computes the next, as a loop
    does (for timers that drop results, such as pytest-benchmark's)."""
    last = [None]

    def step():
        last[0] = call()
        return last[0]
    return step


def repetition(call, sync, calls):
    """Seconds per call over ``calls`` calls, the device synchronised at the end."""
    result = None
    start = time.perf_counter()
    for _ in range(calls):
        result = call()
    sync(result)
    return (time.perf_counter() - start) / calls


def calls_per_repetition(call, sync, schedule):
    """Grow the number of calls until a repetition lasts ``schedule.repetition``: the
    warm-up, as in ``timeit.Timer.autorange``."""
    calls = 1
    while True:
        elapsed = repetition(call, sync, calls) * calls
        if elapsed >= schedule.repetition:
            return calls
        calls = min(calls * 10, math.ceil(calls * 1.2 * schedule.repetition / max(elapsed, 1e-9)))


def measure(call, sync, schedule):
    calls = calls_per_repetition(call, sync, schedule)
    per_call = []
    start = time.perf_counter()
    while len(per_call) < schedule.repetitions and (
            len(per_call) < schedule.least or time.perf_counter() - start < schedule.budget):
        per_call.append(repetition(call, sync, calls))
    return Timing(tuple(per_call), calls)
