"""What a build keeps for the next one: buckets of runs and the LLM judge's sums."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from conftest import keep_in_shares
from hypothesis import given
from hypothesis import strategies as st

from generator import store
from generator.build import batch_listing, cache, run_listing, site_wide
from generator.queries import judge
from generator.queries.common import mean
from generator.results import ingest
from generator.results.validate import normalise_run


@pytest.fixture
def conn(site_db: Path):
    conn = store.open_read(site_db)
    yield conn
    conn.close()


def fingerprints_of(conn, mark: str = "f") -> dict[str, str]:
    rows = conn.execute("SELECT run_id FROM benchmark_runs")
    return {run_id: f"{mark}-{run_id}" for (run_id,) in rows}


def judged(conn, fingerprints, last_site=None):
    """site_files' judge categories and the rows it would keep."""
    inputs = site_wide.Inputs(fingerprints, last_site, lambda relative: Path(relative))
    return site_wide._judge_categories(conn, inputs)


def keep(site: Path, rows) -> Path:
    target = site / cache.path(site_wide.JUDGE)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    cache.write(target, rows, site_wide.JUDGE_WIDTH)
    return site


def test_a_changed_run_changes_the_stamp_of_its_bucket_alone():
    fingerprints = {f"run-{n}": f"f{n}" for n in range(2000)}
    stamps, members = cache.buckets(fingerprints)
    assert sum(len(ids) for ids in members.values()) == 2000
    assert all(cache.bucket(r) == n for n, ids in members.items() for r in ids)
    changed = dict(fingerprints, **{"run-7": "other"})
    after, _ = cache.buckets(changed)
    assert {n for n in stamps if after[n] != stamps[n]} == {cache.bucket("run-7")}
    added, _ = cache.buckets(dict(fingerprints, **{"run-new": "f"}))
    assert {n for n in added if added.get(n) != stamps.get(n)} == {cache.bucket("run-new")}


# Listings: entries kept per run or batch ------------------------------------------


@pytest.mark.parametrize(
    ("listing", "ids", "api_file", "last_entry"),
    [
        (run_listing, "SELECT run_id AS runId FROM benchmark_runs", "api/runs.json", "kept\r\n"),
        (batch_listing, "SELECT batchId FROM batch_runs", "api/batches.json", "running"),
    ],
)
def test_kept_entries_are_taken_only_under_the_same_fingerprint(
    conn, monkeypatch, listing, ids, api_file, last_entry
):
    key_field = conn.execute(ids).description[0][0]
    fingerprints = {key: f"f-{key}" for (key,) in conn.execute(ids)}
    _, rows = listing.files(conn, fingerprints, {})
    last = {row[0]: tuple(row[1:]) for row in rows}
    first, second = rows[0][0], rows[1][0]
    # A marker in place of two entries shows which kept entries are used.
    last[first] = (fingerprints[first], '{"kept":1}', '["kept"]', last_entry)
    last[second] = ("stale", '{"kept":2}', '["kept"]', last_entry)
    encoded: list[str] = []
    real_encode = listing.encode

    def spy(conn, keys, everything, **options):
        encoded.extend(keys)
        return real_encode(conn, keys, everything, **options)

    monkeypatch.setattr(listing, "encode", spy)
    made, new_rows = listing.files(conn, fingerprints, last)
    made = dict(made)
    assert encoded == [second]  # only the one whose fingerprint differs
    assert made[api_file].startswith(b'[{"kept":1},{"' + key_field.encode() + b'":')
    assert b'{"kept":2}' not in made[api_file]
    assert [row[0] for row in new_rows] == [row[0] for row in rows]


# Listings in shares ----------------------------------------------------------------

LISTING = [(f"run-{n}", f"fp-{n}", f"entry {n}") for n in range(60)]


def write_shares(site: Path, rows, last_site: Path | None = None) -> Path:
    return keep_in_shares(site, "listing", rows, 3, last_site)


def read_shares(site: Path | None) -> dict:
    found, _ = cache.read_shares(site, "listing", 3)
    return found


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_shares_keep_every_row_and_a_share_with_the_same_rows_is_linked(tmp_path):
    write_shares(tmp_path / "first", LISTING)
    assert read_shares(tmp_path / "first") == {r[0]: r[1:] for r in LISTING}
    changed = [*LISTING[:59], ("run-59", "fp-new", "entry new")]
    second = write_shares(tmp_path / "second", changed, last_site=tmp_path / "first")
    assert len(files(second)) > 1
    share = f"{cache.bucket('run-59') % cache.SHARES:02d}-"
    linked = {p.name for p in second.iterdir() if p.stat().st_nlink == 2}
    assert linked == {name for name in files(second) if not name.startswith(share)}
    assert read_shares(tmp_path / "second") == {r[0]: r[1:] for r in changed}
    # Written afresh, the same rows give the same files, byte for byte.
    assert files(write_shares(tmp_path / "third", changed)) == files(second)


def test_a_damaged_share_or_another_file_beside_the_shares_is_ignored(tmp_path):
    folder = write_shares(tmp_path, LISTING)
    damaged = sorted(folder.iterdir())[0]
    damaged.write_bytes(b"not a database")
    (folder / "notes.db").write_bytes(b"not a share")
    found = read_shares(tmp_path)
    assert 0 < len(found) < len(LISTING)
    assert all(cache.bucket(key) % cache.SHARES != int(damaged.name[:2]) for key in found)
    assert cache.read_shares(tmp_path / "missing", "listing", 3) == ({}, {})
    assert cache.read_shares(None, "listing", 3) == ({}, {})


@pytest.mark.parametrize("harm", ["damaged", "cut short", "a link"])
def test_a_share_that_is_not_as_its_name_says_is_written_again_not_linked(tmp_path, harm):
    first = write_shares(tmp_path / "first", LISTING)
    share = sorted(first.iterdir())[0]
    if harm == "damaged":
        share.write_bytes(b"not a database")
    elif harm == "cut short":  # a share whose last row is missing
        rows = [r for r in LISTING if cache.bucket(r[0]) % cache.SHARES == int(share.name[:2])]
        share.unlink()
        cache.write(share, rows[:-1], 3)
    else:  # a link to a file elsewhere, of the same rows
        moved = tmp_path / "elsewhere.db"
        share.rename(moved)
        share.symlink_to(moved)
    second = write_shares(tmp_path / "second", LISTING, last_site=tmp_path / "first")
    fresh = write_shares(tmp_path / "fresh", LISTING)
    assert files(second) == files(fresh)  # as if written afresh
    again = second / share.name
    assert not again.is_symlink() and again.stat().st_nlink == 1
    linked = {p.name for p in second.iterdir() if p.stat().st_nlink == 2}
    assert linked == set(files(second)) - {share.name}


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1))
def test_judge_sums_of_parts_give_the_mean_of_the_whole(scores):
    parts = [judge.JudgeSums() for _ in range(3)]
    for number, score in enumerate(scores):
        parts[number % 3].add("agent", "model", [("category", score)])
    total = judge.JudgeSums()
    for part in reversed(parts):
        total.merge(part)
    [row] = total.rows()
    assert row["count"] == len(scores)
    assert row["mean_score"] == mean(scores)  # the exact sum rounded once, then divided


def test_judge_sums_are_exact_where_adding_in_order_is_not():
    scores = [1e16, 1.0, -1e16, 1.0] * 5
    sums = judge.JudgeSums()
    random.Random(1).shuffle(scores)
    sums.add(None, b"blob model", [("c", s) for s in scores])
    [row] = sums.rows()
    assert row["mean_score"] == math.fsum(scores) / len(scores) == 0.5
    in_order = 0.0
    for score in scores:  # not sum(), which compensates since Python 3.12
        in_order += score
    assert in_order / len(scores) != 0.5  # adding in order loses the ones
    assert (row["agent"], row["model"]) == (None, b"blob model")


def test_kept_sums_are_used_for_unchanged_buckets_only(conn, tmp_path, monkeypatch):
    fingerprints = fingerprints_of(conn)
    expected = judge.judge_categories(conn)
    first, rows = judged(conn, fingerprints)
    assert first == expected and rows
    site = keep(tmp_path, rows)
    read: list = []
    real = judge.judge_scores

    def spy(conn, run_ids=None):
        read.append(run_ids)
        return real(conn, run_ids)

    monkeypatch.setattr(judge, "judge_scores", spy)
    again, rows_again = judged(conn, fingerprints, site)
    assert again == expected and rows_again == rows and read == [[]]  # nothing read again
    one = next(iter(fingerprints))
    read.clear()
    changed, _ = judged(conn, dict(fingerprints, **{one: "changed"}), site)
    assert changed == expected
    [run_ids] = read
    assert one in run_ids and {cache.bucket(r) for r in run_ids} == {cache.bucket(one)}


def test_a_kept_sum_under_its_stamp_is_taken_as_it_is(conn, tmp_path):
    fingerprints = fingerprints_of(conn)
    _, rows = judged(conn, fingerprints)
    # The count of one group doubled: the kept number shows up, so it was used.
    first = next(n for n, row in enumerate(rows) if row[5])
    doubled = [(*row[:5], row[5] * 2, str(int(row[6]) * 2)) if n == first else row
               for n, row in enumerate(rows)]  # fmt: skip
    result, _ = judged(conn, fingerprints, keep(tmp_path, doubled))
    counts = {(r["agent"], r["model"], r["category"]): r["count"] for r in result}
    key = rows[first][2:5]
    expected = {(r["agent"], r["model"], r["category"]): r["count"]
                for r in judge.judge_categories(conn)}  # fmt: skip
    assert counts[key] == expected[key] + rows[first][5]


@pytest.mark.parametrize(
    "damage",
    [
        lambda row: (*row[:5], "many", row[6]),  # a count that is not a number
        lambda row: (*row[:6], "not a sum"),
        lambda row: (*row[:6], None),
    ],
)
def test_damaged_kept_sums_are_not_used(conn, tmp_path, damage):
    fingerprints = fingerprints_of(conn)
    _, rows = judged(conn, fingerprints)
    site = keep(tmp_path, [damage(rows[0]), *rows[1:]])
    result, rows_again = judged(conn, fingerprints, site)
    assert result == judge.judge_categories(conn) and rows_again == rows


def test_buckets_without_scores_are_kept_too(empty_db, tmp_path, make_run, monkeypatch):
    plain = [make_run(runId=f"r{n}", evaluations=[]) for n in range(20)]
    ingest.record_runs(
        empty_db, [(f"r{n}", normalise_run(run, "test")) for n, run in enumerate(plain)]
    )
    conn = store.open_read(empty_db)
    fingerprints = fingerprints_of(conn)
    result, rows = judged(conn, fingerprints)
    assert result == []
    assert {row[0] for row in rows} == set(cache.buckets(fingerprints)[0])
    calls: list = []
    monkeypatch.setattr(judge, "judge_scores", lambda c, ids=None: calls.append(ids) or [])
    judged(conn, fingerprints, keep(tmp_path, rows))
    assert calls == [[]]
