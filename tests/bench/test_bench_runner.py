"""The runner, the timing and the report, with stand-in libraries: a wrong or failing
peer is a row that says so, results stay alive between timed calls, the device is waited
for, and the Markdown section replaces only its own text."""
import types
import weakref

import numpy as np
import pytest

from gpugrad.bench import report, runner, timing
from gpugrad.bench.libraries import Idiom, Library, by_hand
from gpugrad.bench.workloads import BY_NAME

QUICK = timing.Schedule(repetition=1e-4, repetitions=3, budget=0.05, least=2)


def stand_in(name, **idioms):
    """A library whose logistic-gradient idioms are the given ``build(data, device)``s."""
    module = types.SimpleNamespace(
        BUILDERS={"logistic": [Idiom(label, build) for label, build in idioms.items()]},
        sync=lambda result: None, to_numpy=np.asarray)
    return Library(name, module)


def right(data, device):
    return lambda: by_hand.BUILDERS["logistic"][0].build(data, device)()


def off_by_one_entry(data, device):
    def call():
        result = right(data, device)()
        result[3, 4] += 1e-6
        return result
    return call


def raising(data, device):
    raise NotImplementedError("no gradient for Logistic")


def test_wrong_and_failing_peers_are_rows_that_say_so():
    libraries = [Library("NumPy", by_hand, reference=True), stand_in("Peer", right=right, off=off_by_one_entry, raises=raising)]
    rows = runner.run_workload(BY_NAME["logistic"], libraries, "cpu", True, QUICK)
    by_idiom = {row.idiom: row for row in rows}
    assert [row.idiom for row in rows] == ["by hand", "right", "off", "raises"]
    assert by_idiom["right"].status == "ok" and by_idiom["right"].per_reference > 0
    assert by_idiom["by hand"].per_reference == 1
    assert by_idiom["off"].status == "wrong" and "at [3, 4]" in by_idiom["off"].note and "1 of 10000 off" in by_idiom["off"].note
    assert by_idiom["raises"].status == "failed"
    assert by_idiom["raises"].note.startswith("NotImplementedError: no gradient for Logistic (test_bench_runner.py:")
    assert by_idiom["off"].timing is None and by_idiom["off"].per_best is None
    assert min(row.per_best for row in rows if row.status == "ok") == 1
    table = report.text_table(rows, [BY_NAME["logistic"]], True, "NumPy")
    assert "WRONG: " in table and "FAILED: NotImplementedError" in table


def test_mismatch_names_the_first_entry_off_across_chunks():
    expected = np.arange(12.0).reshape(3, 4)
    got = expected.copy()
    got[2, 1], got[2, 3] = np.nan, 0
    assert runner.mismatch([expected], [got], 1e-12, 0, chunk=5).startswith("nan at [2, 1], expected 9.0")
    assert "2 of 12 off" in runner.mismatch([expected], [got], 1e-12, 0, chunk=5)
    assert runner.mismatch([expected], [expected.T], 1e-12, 0) == "shape (4, 3), expected (3, 4)"
    assert runner.mismatch([expected], [expected * (1 + 1e-13)], 1e-12, 0) == ""


class _Clock:
    """A stand-in for ``time`` whose clock moves only when the timed call says so, so the
    schedule's arithmetic is checked without measuring a busy machine."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


def test_timing_holds_the_previous_result_and_waits_for_the_device(monkeypatch):
    alive, synced, clock = [], [], _Clock()
    monkeypatch.setattr(timing, "time", clock)

    class Result:
        pass

    last = [None]

    def call():
        alive.append(last[0] is None or last[0]() is not None)  # the previous result still exists
        clock.now += 1e-5
        result = Result()
        last[0] = weakref.ref(result)
        return result
    measured = timing.measure(call, synced.append, QUICK)
    assert all(alive) and len(alive) > measured.calls * len(measured.per_call)
    assert len(synced) >= len(measured.per_call) and all(isinstance(result, Result) for result in synced)
    assert QUICK.least <= len(measured.per_call) <= QUICK.repetitions
    assert measured.calls * 1e-5 >= QUICK.repetition and measured.median == pytest.approx(1e-5)


def test_a_repetition_lasts_at_least_the_schedule_s(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(timing, "time", clock)

    def call():
        clock.now += 3e-6
    measured = timing.measure(call, lambda result: None, QUICK)
    assert measured.calls > 1 and min(measured.per_call) * measured.calls >= QUICK.repetition
    assert timing.Timing((1.0, 2.0, 3.0, 4.0, 5.0), 1).spread == pytest.approx(1 / 3)


@pytest.mark.parametrize("seconds, text", [(8.12e-7, "812 ns"), (1.234e-5, "12.3 µs"), (4.561e-3, "4.56 ms"),
                                           (1.5, "1.5 s"), (2e-9, "2 ns"), (1234.0, "1234 s")])
def test_durations_have_three_significant_digits(seconds, text):
    assert report.duration(seconds) == text


def test_markdown_replaces_only_its_section(tmp_path):
    path = tmp_path / "README.md"
    path.write_text(f"intro\n{report.MARKERS[0]}\nold\n{report.MARKERS[1]}\noutro\n")
    report.write_markdown(path, "new | table")
    assert path.read_text() == f"intro\n{report.MARKERS[0]}\nnew | table\n{report.MARKERS[1]}\noutro\n"
    fresh = tmp_path / "fresh.md"
    report.write_markdown(fresh, "table")
    assert fresh.read_text() == "table\n"


def test_the_plot_is_a_small_png(tmp_path):
    pytest.importorskip("matplotlib")
    from gpugrad.bench.plot import write_plot
    libraries = [Library("NumPy", by_hand, reference=True), stand_in("gpugrad", right=right, raises=raising)]
    rows = runner.run_workload(BY_NAME["logistic"], libraries, "cpu", True, QUICK)
    write_plot(rows, [BY_NAME["logistic"]], "NumPy", tmp_path / "ratios.png", "a title")
    png = (tmp_path / "ratios.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) < 40_000
