"""The bench's statistics row: what it times covers the demo's series, batches and cells."""

from __future__ import annotations

from generator import store
from generator.bench import statistics_cost
from generator.queries import comparison
from generator.results import demo


def test_the_statistics_are_timed_over_every_series_batch_and_cell(tmp_path) -> None:
    db = tmp_path / "demo.db"
    demo.write_demo(db)
    measured = statistics_cost.measure(db)
    conn = store.open_read(db)
    series = [ids for ids in comparison.series(conn).values() if len(ids) >= 2]
    previous = comparison.previous_batches(conn)
    assert 0 < measured["regressions"]["series"] <= len(series)
    assert measured["batch_comparisons"]["batches"] == len(previous)
    assert measured["repeats"]["cells"] > 0
    assert all(part["seconds"] > 0 for part in measured.values())
    (row, *_), text = statistics_cost.rows(), f"{measured['regressions']['series']} series"
    assert text in row[1]({"statistics": measured}) and row[1]({}) == "–"
