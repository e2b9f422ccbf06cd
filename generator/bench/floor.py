"""The floor of ``zebench bench``: the least work a site of run pages needs.

Every run, evaluation, telemetry and batch row is read, and one minimal Jinja
page is written per run, in one process. Build times are given as a multiple
of it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import jinja2

FLOOR_TEMPLATE = """<!doctype html><title>{{ run.run_id }}</title>
<h1>{{ run.run_id }}</h1>
<p>{{ run.suite }} / {{ run.scenario }} / {{ run.tier }} · {{ run.agent }} {{ run.model }}
· {{ run.status }} · {{ run.total_score }} · {{ run.weighted_score }}</p>
<pre>{{ run.metadata }}</pre>
<ul>{% for e in evaluations %}<li>{{ e.evaluator_name }} {{ e.score }}/{{ e.max_score }}
<pre>{{ e.details }}</pre></li>{% endfor %}</ul>
{% if telemetry %}<p>{{ telemetry.tokens_in }} in, {{ telemetry.tokens_out }} out,
${{ telemetry.cost_usd }}, {{ telemetry.duration_ms }} ms</p>{% endif %}
{% if batch %}<p>{{ batch.batchId }}: {{ batch.createdAt }} – {{ batch.completedAt }}</p>{% endif %}
"""


def floor(db: str, out: str) -> int:
    """Read every run, evaluation, telemetry and batch row and write one minimal page
    per run."""
    conn = sqlite3.connect(f"file:{Path(db).resolve()}?mode=ro", uri=True)
    template = jinja2.Environment(autoescape=True).from_string(FLOOR_TEMPLATE)
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    evaluations = _by_run(conn, "SELECT * FROM evaluation_results ORDER BY run_id, id")
    telemetry = _by_run(conn, "SELECT * FROM run_telemetry ORDER BY run_id, id")
    batches = {batch["batchId"]: batch for batch in _rows(conn, "SELECT * FROM batch_runs")}
    count = 0
    for run in _rows(conn, "SELECT * FROM benchmark_runs ORDER BY run_id"):
        html = template.render(
            run=run,
            evaluations=evaluations.take(run["run_id"]),
            telemetry=next(iter(telemetry.take(run["run_id"])), None),
            batch=batches.get(run["batchId"]),
        )
        count += 1
        (target / f"{count}.html").write_bytes(html.encode("utf-8"))
    conn.close()
    return count


def _rows(conn: sqlite3.Connection, sql: str) -> Iterator[dict]:
    cursor = conn.execute(sql)
    names = [column[0] for column in cursor.description]
    for row in cursor:
        yield dict(zip(names, row, strict=True))


class _by_run:
    """Rows ordered by run_id, handed out run by run as the runs scan goes."""

    def __init__(self, conn: sqlite3.Connection, sql: str) -> None:
        self._rows = _rows(conn, sql)
        self._next = next(self._rows, None)

    def take(self, run_id: str) -> list[dict]:
        out = []
        while self._next is not None and self._next["run_id"] <= run_id:
            if self._next["run_id"] == run_id:
                out.append(self._next)
            self._next = next(self._rows, None)
        return out
