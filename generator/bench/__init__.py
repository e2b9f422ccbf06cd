"""``zebench bench``: how fast results go in and the site comes out, at several sizes.

For each size, in its own folder under the work folder:

    demo runs as JSON Lines → ``zebench record`` (a child process: time, peak memory)
    → the Python recorder on a sample, into a copy of that file, timed in this
      process (a rate only: it is a library, not a command)
    → the statistics the site shows (``statistics_cost``), timed in this process
    → the floor (``floor``): every row read, one minimal Jinja page per run, one process
    → ``zebench build`` from scratch (with the search index: the seconds the build
      says indexing took, alongside its other steps, are kept as ``search_s``)
      → size and file count of the site, weight of the dashboard and the runs page
    → three times: record 1 new run, build → three times: record 100, build
    → ``zebench serve`` over the file and site (``server``): post rate, GET
      latencies, time from a POST to the run's page

and then, with ``--real N``, the same steps for N runs of real size (``real``).

An incremental step is measured three times and its median reported, with every
sample kept (``samples_s``): on a virtual machine the first build after a full
one may take a second longer than the next (see docs/performance.md), and one sample is
too few to tell that from the build. The full build and the floor, which write
hundreds of thousands of files, are measured once: deleting those files to
measure them again would slow down creating files for minutes.

Every other timed step runs as a child process, the way a user runs it, after the
files of the step before are written to disk (``sync``), so that their write-back
is not timed with it. A child process is used so that its peak
memory can be measured: the sum of the proportional set sizes of the child
and its workers, sampled every half second (resident sizes every 50 ms), and
never less than what the kernel reports as the peak resident size of the
largest of them. Its CPU time, in user code and in the kernel, is that of the
child and every worker it started.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from generator.bench import process_memory, statistics_cost
from generator.bench import server as serving
from generator.errors import ParameterError
from generator.results import demo
from generator.results.recorder import Recorder

Log = Callable[[str], None]
EPOCH = "1761955200"  # SOURCE_DATE_EPOCH for every build: same data, same bytes
RECORDER_SAMPLE = 1000  # runs written through the Python recorder at each size
EXTRA_SEEDS = {1: 2, 100: 3}  # new runs recorded before each incremental build -> demo seed
REPEATS = 3  # incremental builds measured after each number of new runs; median reported


@dataclass(frozen=True)
class Step:
    """One measured child process."""

    seconds: float
    peak_mb: float  # proportional set size, summed (see process_memory.Sampler)
    peak_rss_mb: float  # resident set size, summed over the processes
    user_s: float  # CPU time in user code: the process and every process it waited for
    kernel_s: float  # CPU time in the kernel on behalf of the same processes
    search_s: float | None = None  # of a build: the part it says indexing took


def measure(args: list[str], log: Log) -> Step:
    """Run ``python -m generator ARGS`` (or ARGS when it starts with the interpreter)."""
    command = args if args[0] == sys.executable else [sys.executable, "-m", "generator", *args]
    # Each step starts with the disk idle: the gigabytes a full build leaves in the
    # page cache are otherwise written back while the next step is being timed.
    os.sync()
    started = time.perf_counter()
    child = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
        text=True,
    )
    sampler = process_memory.Sampler(child.pid)
    output: list[str] = []
    reader = threading.Thread(target=_forward, args=(child, output, log), daemon=True)
    reader.start()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    sampler.stop()
    reader.join()
    if child.returncode != 0:
        raise ParameterError(f"{' '.join(command)} failed:\n" + "".join(output[-20:]))
    largest = usage.ru_maxrss * 1024  # the largest process's peak; KiB on Linux
    peak, peak_rss = max(sampler.peak, largest), max(sampler.peak_rss, largest)
    memory = round(peak / 1e6, 1), round(peak_rss / 1e6, 1)
    # wait4 counts the child's own CPU time and that of the workers it waited for.
    cpu = round(usage.ru_utime, 2), round(usage.ru_stime, 2)
    searched = _SEARCH_LINE.search("".join(output))
    search_s = float(searched[1]) if searched else None
    return Step(round(seconds, 3), *memory, *cpu, search_s)


_SEARCH_LINE = re.compile(r"search index: .* \(([0-9.]+) s\)")  # see build.search.Index.finish


def _forward(child: subprocess.Popen, output: list[str], log: Log) -> None:
    # The child's own progress lines, so a long build does not look stuck.
    assert child.stdout is not None
    for line in child.stdout:
        output.append(line)
        log(f"      {line.rstrip()}")


# Site figures ---------------------------------------------------------------

_REFERENCE = re.compile(r'(?:src|href)="([^"#?:]+\.(?:css|js|json))"')
_TABLE_CONFIG = re.compile(r'<script type="application/json" id="table-config">(.*?)</script>')


def site_size(site: Path) -> tuple[int, int]:
    """Total bytes and number of files under *site*."""
    files = [path for path in site.rglob("*") if path.is_file()]
    return sum(path.stat().st_size for path in files), len(files)


def page_weight(site: Path, page: str) -> int:
    """Bytes a browser fetches to show *page*: its HTML, the CSS and scripts it
    references and, for a data table, the table's index and first chunk.
    plotly.min.js is left out: it is the same 4.6 MB for every site and cached."""
    html = (site / page).read_text(encoding="utf-8")
    folder = (site / page).parent
    files = {(folder / ref).resolve() for ref in _REFERENCE.findall(html)}
    table = _TABLE_CONFIG.search(html)
    if table:
        dataset = json.loads(table.group(1))["dataset"]
        files |= {site / f"data/{dataset}/index.js", site / f"data/{dataset}/0001.js"}
    extra = sum(p.stat().st_size for p in files if p.is_file() and p.name != "plotly.min.js")
    return len(html.encode("utf-8")) + extra


# One size -------------------------------------------------------------------


def bench_size(runs: int, workdir: Path, log: Log) -> dict:
    """Every figure for one size (see module docstring); seconds, MB and KB."""
    folder = workdir / f"{runs}"
    folder.mkdir(parents=True)
    db, site = folder / "bench.db", folder / "site"
    log(f"[{runs:,} runs] writing demo payloads")
    jsonl = payloads_file(folder / "runs.jsonl", runs, seed=1)
    result: dict = {"runs": runs}
    log(f"[{runs:,} runs] zebench record")
    step = measure(["record", "--db", str(db), str(jsonl)], log)
    result["record"] = {**asdict(step), "runs_per_s": round(runs / step.seconds)}
    result["evaluations_per_run"] = _evaluations_per_run(db)
    log(f"[{runs:,} runs] Python recorder")
    result["recorder"] = _recorder(db, folder, min(runs, RECORDER_SAMPLE))
    log(f"[{runs:,} runs] statistics: regressions, batch comparisons, repeated runs")
    result["statistics"] = statistics_cost.measure(db)
    log(f"[{runs:,} runs] floor: read every row, one minimal page per run")
    result["floor"] = asdict(_floor(db, folder / "floor", log))
    log(f"[{runs:,} runs] full build")
    result["full_build"] = asdict(measure(["build", "--db", str(db), "--out", str(site)], log))
    size, files = site_size(site)
    result["site"] = {"mb": round(size / 1e6, 1), "files": files}
    result["dashboard_kb"] = round(page_weight(site, "index.html") / 1e3, 1)
    result["runs_page_kb"] = round(page_weight(site, "runs/index.html") / 1e3, 1)
    for extra, seed in EXTRA_SEEDS.items():
        samples = []
        for repeat in range(1, REPEATS + 1):
            log(f"[{runs:,} runs] record {extra} new, then build again ({repeat} of {REPEATS})")
            new = folder / f"new-{extra}-{repeat}.jsonl"
            payloads = payloads_file(new, extra, seed * 100 + repeat)
            measure(["record", "--db", str(db), str(payloads)], log)
            samples.append(measure(["build", "--db", str(db), "--out", str(site)], log))
        result[f"build_after_{extra}"] = median_step(samples)
    log(f"[{runs:,} runs] zebench serve")
    result["server"] = serving.measure(db, site, log)
    _ratios(result)
    one_file(db)
    return result


def median_step(samples: list[Step]) -> dict:
    """The sample of median duration, with the durations of all of them (``samples_s``)."""
    middle = sorted(samples, key=lambda step: step.seconds)[len(samples) // 2]
    return {**asdict(middle), "samples_s": [step.seconds for step in samples]}


def one_file(db: Path) -> None:
    """Fold the write-ahead log into *db* and remove it and its index, which the
    builds' read-only connections leave behind: the database is one file again."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()  # the last connection to close removes -wal and -shm


def payloads_file(path: Path, runs: int, seed: int, profile: str = "small") -> Path:
    """*runs* demo payloads of *profile* as JSON Lines at *path*."""
    with path.open("w", encoding="utf-8") as out:
        demo.write_jsonl(out, runs=runs, seed=seed, full=True, profile=profile)  # 6 evaluations
    return path


def _evaluations_per_run(db: Path) -> float:
    conn = sqlite3.connect(db)
    try:
        runs, evaluations = conn.execute(
            "SELECT (SELECT COUNT(*) FROM benchmark_runs), "
            "(SELECT COUNT(*) FROM evaluation_results)"
        ).fetchone()
    finally:
        conn.close()
    return round(evaluations / runs, 2)


def _recorder(db: Path, folder: Path, sample: int) -> dict:
    """Runs per second through the Recorder API, into a copy of the size's file."""
    copy = folder / "recorder.db"
    shutil.copyfile(db, copy)
    payloads = list(demo.iter_run_payloads(sample, seed=4, full=True))
    started = time.perf_counter()
    with Recorder(copy) as recorder:
        for payload in payloads:
            record_one(recorder, payload)
    seconds = time.perf_counter() - started
    copy.unlink()
    return {"runs": sample, "seconds": round(seconds, 3), "runs_per_s": round(sample / seconds)}


def record_one(recorder: Recorder, payload: dict) -> None:
    """Record one demo payload the way a harness does: start, log, complete."""
    run_id = recorder.start_run(
        suite=payload["suite"], scenario=payload["scenario"], tier=payload["tier"],
        agent=payload["agent"], model=payload["model"], batch_id=payload["batchId"],
        run_id=payload["runId"], started_at=payload["startedAt"],
    )  # fmt: skip
    for e in payload["evaluations"]:
        recorder.log_evaluation(run_id, e["evaluatorName"], e["score"], e["maxScore"], e["details"])
    telemetry = payload.get("telemetry") or {}
    recorder.log_telemetry(
        run_id, tool_calls=telemetry.get("toolCalls"), tokens_in=telemetry.get("tokensIn"),
        tokens_out=telemetry.get("tokensOut"), cost_usd=telemetry.get("costUsd"),
        duration_ms=telemetry.get("durationMs"),
    )  # fmt: skip
    recorder.complete_run(
        run_id, completed_at=payload.get("completedAt") or payload["startedAt"],
        total_score=payload.get("totalScore"), weighted_score=payload.get("weightedScore"),
        is_successful=payload.get("isSuccessful"), metadata=payload.get("metadata"),
    )  # fmt: skip


def _floor(db: Path, out: Path, log: Log) -> Step:
    code = "import sys; from generator.bench.floor import floor; floor(sys.argv[1], sys.argv[2])"
    return measure([sys.executable, "-c", code, str(db), str(out)], log)


def _ratios(result: dict) -> None:
    floor_s, full_s = result["floor"]["seconds"], result["full_build"]["seconds"]
    for key in ("full_build", *(f"build_after_{n}" for n in EXTRA_SEEDS)):
        result[key]["x_floor"] = round(result[key]["seconds"] / floor_s, 2)
        result[key]["pct_of_full"] = round(100 * result[key]["seconds"] / full_s, 1)


# All sizes ------------------------------------------------------------------


def run(sizes: list[int], workdir: str | os.PathLike[str], log: Log = print, real: int = 0) -> dict:
    """Benchmark every size, and *real* real-sized runs (``real``; 0: none); write
    ``results.json`` into *workdir* and return it."""
    if not sizes or any(size < 1 for size in sizes):
        raise ParameterError("--sizes: give positive numbers of runs, e.g. 1000,10000")
    if real < 0:
        raise ParameterError("--real: give a number of runs, or 0 for none")
    sizes = list(dict.fromkeys(sizes))  # each size once: it has a folder of its own
    folder = Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    # Sites and floor pages are deleted only once every size is measured: removing
    # hundreds of thousands of files slows down creating files for minutes on some
    # file systems (ext4 without a journal passes over recently deleted inodes),
    # which would be charged to whatever is measured next. Only the few files an
    # incremental build replaces are deleted between steps.
    from generator.bench import real as real_sized  # it uses what this module defines

    real_folder = [f"real-{real}"] if real else []
    _remove_outputs(folder, [*map(str, sizes), *real_folder], keep_inputs=False)
    report = {"machine": machine(), "sizes": [bench_size(n, folder, log) for n in sizes]}
    if real:
        report["real"] = real_sized.bench_real(real, folder, log)
    (folder / "results.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    _remove_outputs(folder, [*map(str, sizes), *real_folder], keep_inputs=True)
    return report


def _remove_outputs(folder: Path, names: list[str], keep_inputs: bool) -> None:
    """Delete the site and floor pages of each size's folder (*names*), and with
    them its database and inputs unless *keep_inputs*."""
    for name in names:
        target = folder / name
        if keep_inputs:
            shutil.rmtree(target / "site", ignore_errors=True)
            shutil.rmtree(target / "floor", ignore_errors=True)
        else:
            shutil.rmtree(target, ignore_errors=True)


def machine() -> dict:
    """What the numbers were measured on."""
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def table(report: dict) -> str:
    """The results as a Markdown table: one row per figure, one column per size."""
    sizes = report["sizes"]
    rows = [("Runs", [f"{r['runs']:,}" for r in sizes])]
    for label, cell in _ROWS:
        rows.append((label, [cell(r) for r in sizes]))
    header = "| | " + " | ".join(cells for cells in rows[0][1]) + " |"
    rule = "|---|" + "---:|" * len(sizes)
    body = [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows[1:]]
    m = report["machine"]
    note = (
        f"Measured on {m['cpus']} CPUs ({m['cpu']}), {m['memory_gb']} GB RAM, "
        f"Python {m['python']}, SQLite {m['sqlite']}."
    )
    if "real" in report:
        from generator.bench import real as real_sized

        return "\n".join([header, rule, *body, "", real_sized.table(report["real"]), "", note])
    return "\n".join([header, rule, *body, "", note])


def _build(key: str) -> Callable[[dict], str]:
    def cell(r: dict) -> str:
        step = r[key]
        text = f"{step['seconds']:.2f} s ({step['x_floor']:.2f}× floor, {step['pct_of_full']:.1f}%)"
        samples = step.get("samples_s")
        if samples:
            text += f", median of {len(samples)}: {min(samples):.2f}–{max(samples):.2f} s"
        return text

    return cell


def _search(key: str) -> Callable[[dict], str]:
    def cell(r: dict) -> str:
        seconds = r[key].get("search_s")  # None: built without search, or older code
        return "–" if seconds is None else f"{seconds:.2f} s"

    return cell


def _peak(key: str) -> Callable[[dict], str]:
    return lambda r: f"{r[key]['peak_mb']:,.0f} MB (RSS {r[key]['peak_rss_mb']:,.0f} MB)"


def _cpu(key: str) -> Callable[[dict], str]:
    return lambda r: f"{r[key]['user_s']:,.1f} + {r[key]['kernel_s']:,.1f} s"


_ROWS: list[tuple[str, Callable[[dict], str]]] = [
    ("Evaluations per run (demo)", lambda r: f"{r['evaluations_per_run']:.2f}"),
    ("`zebench record` JSON Lines", lambda r: f"{r['record']['runs_per_s']:,} runs/s"),
    ("… peak memory", _peak("record")),
    ("Python recorder", lambda r: f"{r['recorder']['runs_per_s']:,} runs/s"),
    *statistics_cost.rows(),
    ("Floor (read all rows, 1 page/run)", lambda r: f"{r['floor']['seconds']:.2f} s"),
    ("… peak memory", _peak("floor")),
    ("… CPU, user + kernel", _cpu("floor")),
    ("Full build (× floor, % of full)", _build("full_build")),
    ("… peak memory", _peak("full_build")),
    ("… CPU, user + kernel", _cpu("full_build")),
    ("… the search index, alongside the rest (Pagefind)", _search("full_build")),
    ("Build after recording 1 run", _build("build_after_1")),
    ("… peak memory", _peak("build_after_1")),
    ("… CPU, user + kernel", _cpu("build_after_1")),
    ("… the search index, alongside the rest", _search("build_after_1")),
    ("Build after recording 100 runs", _build("build_after_100")),
    ("… peak memory", _peak("build_after_100")),
    ("… CPU, user + kernel", _cpu("build_after_100")),
    ("… the search index, alongside the rest", _search("build_after_100")),
    ("Site size", lambda r: f"{r['site']['mb']:,.1f} MB, {r['site']['files']:,} files"),
    ("Dashboard weight", lambda r: f"{r['dashboard_kb']:,.1f} KB"),
    ("Runs page weight (first screen)", lambda r: f"{r['runs_page_kb']:,.1f} KB"),
    *serving.rows(),
]
