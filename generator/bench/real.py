"""The real-sized step of ``zebench bench``: runs the size of real ones.

The demo's runs are about 4 KB; real ones about 100 KB, most of it a lockfile
patch. So besides the sizes of the main benchmark, one size of the demo's
"real" profile (``demo_real``) is measured, in WORKDIR/real-<runs>/:

    real-sized runs as JSON Lines → ``zebench record`` (ingest rate, memory)
    → ``zebench build`` at its default settings (text budget, the results file
      linked rather than copied when large) → bytes of the results file and of
      the site per run (the results file not counted), the site's file count
    → three times: record 1 new run, build again (median)

Each step is a child process, as in the main benchmark (``measure``).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from generator import bench

NEW_RUN_SEED = 500  # seeds of the new runs recorded before each incremental build


def bench_real(runs: int, workdir: Path, log: bench.Log) -> dict:
    """Every figure of the real-sized step for *runs* runs; seconds, MB and KB."""
    folder = workdir / f"real-{runs}"
    folder.mkdir(parents=True)
    db, site = folder / "bench.db", folder / "site"
    label = f"[{runs:,} real-sized runs]"
    log(f"{label} writing demo payloads")
    jsonl = bench.payloads_file(folder / "runs.jsonl", runs, seed=1, profile="real")
    result: dict = {"runs": runs, "jsonl_mb": round(jsonl.stat().st_size / 1e6, 1)}
    log(f"{label} zebench record")
    step = bench.measure(["record", "--db", str(db), str(jsonl)], log)
    result["record"] = {**asdict(step), "runs_per_s": round(runs / step.seconds)}
    bench.one_file(db)
    db_bytes = db.stat().st_size
    result["db"] = {"mb": round(db_bytes / 1e6, 1), "kb_per_run": round(db_bytes / runs / 1e3, 1)}
    log(f"{label} full build")
    result["full_build"] = asdict(
        bench.measure(["build", "--db", str(db), "--out", str(site)], log)
    )
    result["site"] = site_figures(site, runs, db.name)
    samples = []
    for repeat in range(1, bench.REPEATS + 1):
        log(f"{label} record 1 new run, then build again ({repeat} of {bench.REPEATS})")
        new = bench.payloads_file(folder / f"new-{repeat}.jsonl", 1, NEW_RUN_SEED + repeat, "real")
        bench.measure(["record", "--db", str(db), str(new)], log)
        samples.append(bench.measure(["build", "--db", str(db), "--out", str(site)], log))
    result["build_after_1"] = bench.median_step(samples)
    bench.one_file(db)
    return result


def site_figures(site: Path, runs: int, db_name: str) -> dict:
    """Size and file count of *site*, and its bytes per run without the results file."""
    size, files = bench.site_size(site)
    copy = site / "downloads" / db_name
    without_db = size - (copy.stat().st_size if copy.is_file() else 0)
    return {
        "mb": round(size / 1e6, 1),
        "files": files,
        "kb_per_run": round(without_db / runs / 1e3, 1),
        "db_copied": copy.is_file(),
    }


def table(result: dict) -> str:
    """The real-sized step as a Markdown table."""
    build, after = result["full_build"], result["build_after_1"]
    samples = after["samples_s"]
    rows = [
        ("Real-sized runs", f"{result['runs']:,}"),
        ("JSON Lines", f"{result['jsonl_mb']:,.1f} MB"),
        ("`zebench record` JSON Lines", f"{result['record']['runs_per_s']:,} runs/s"),
        ("… peak memory", f"{result['record']['peak_mb']:,.0f} MB"),
        ("Results file", f"{result['db']['mb']:,.1f} MB, {result['db']['kb_per_run']} KB a run"),
        ("Full build", f"{build['seconds']:.2f} s, peak memory {build['peak_mb']:,.0f} MB"),
        (
            "Build after recording 1 run",
            f"{after['seconds']:.2f} s (median of {len(samples)}: "
            f"{min(samples):.2f}–{max(samples):.2f} s), peak memory {after['peak_mb']:,.0f} MB",
        ),
        (
            "Site",
            f"{result['site']['mb']:,.1f} MB, {result['site']['files']:,} files, "
            f"{result['site']['kb_per_run']} KB a run without the results file "
            f"({'copied' if result['site']['db_copied'] else 'not copied'})",
        ),
    ]
    return "\n".join(["| Real-sized step | |", "|---|---:|", *(f"| {a} | {b} |" for a, b in rows)])
