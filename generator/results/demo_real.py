"""The demo's "real" profile: the same runs, with texts the size of real ones.

Real runs carry about 100 KB of metadata (up to about 330 KB), most of it the
``pnpm-lock.yaml`` patch in ``diffSummary``; beside it a few source-file
diffs, test output, an LLM judge's details of a few KB and a prompt of a few
KB. ``enlarge`` gives a demo run those, drawn from its own generator seeded
by the demo's seed and the run's id, so the small profile's data (and its
random sequence) stays as it was and the same seed gives the same bytes.

Text is assembled from pieces made once (lockfile entries with their
integrity hashes, lines of code, sentences), not drawn character by
character: 10,000 real-sized runs are about a gigabyte of JSON Lines.
"""

from __future__ import annotations

import base64
import json
import math
import random
from typing import Any

LOCK_MEDIAN = 90_000  # bytes of the lockfile patch: median, and its bounds
LOCK_MIN, LOCK_MAX = 54_000, 285_000  # targets: the patches come out within 50–300 KB
LOCK_SPREAD = 0.45  # sigma of the log of its size
_POOL_SEED = 20251031  # the pieces are the same for every seed

_NAMES = (
    "react", "react-dom", "scheduler", "loose-envify", "js-tokens", "typescript", "nx",
    "vite", "esbuild", "rollup", "postcss", "nanoid", "picocolors", "source-map-js",
    "lodash", "semver", "yargs", "yargs-parser", "cliui", "string-width", "strip-ansi",
    "ansi-regex", "ansi-styles", "chalk", "supports-color", "has-flag", "minimatch",
    "brace-expansion", "balanced-match", "glob", "fast-glob", "micromatch", "picomatch",
    "braces", "fill-range", "to-regex-range", "is-number", "eslint", "espree", "acorn",
    "debug", "ms", "tslib", "axios", "follow-redirects", "form-data", "mime-types",
    "mime-db", "jsonc-parser", "json5", "minimist", "tsconfig-paths", "strip-bom",
    "yaml", "ora", "cli-spinners", "wrap-ansi", "emoji-regex", "signal-exit", "execa",
    "cross-spawn", "which", "isexe", "path-key", "shebang-command", "tar-stream", "bl",
    "readable-stream", "inherits", "safe-buffer", "string_decoder", "util-deprecate",
    "vitest", "chai", "tinyspy", "pathe", "magic-string", "estree-walker", "zod",
)  # fmt: skip
_SCOPES = (
    "@nx",
    "@types",
    "@babel",
    "@esbuild",
    "@rollup",
    "@vitest",
    "@jest",
    "@emnapi",
    "@napi-rs",
    "@swc",
    "@eslint",
    "@typescript-eslint",
    "@radix-ui",
    "@tanstack",
)
_SCOPED = ("core", "runtime", "parser", "types", "utils", "linux-x64-gnu", "darwin-arm64",
           "win32-x64-msvc", "plugin-react", "eslint-plugin", "wasm-runtime", "schemas",
           "traverse", "generator", "helpers", "query-core", "react-slot")  # fmt: skip
_ENGINES = ("{node: '>=18'}", "{node: '>=14.17'}", "{node: ^14.15.0 || ^16.10.0 || >=18.0.0}",
            "{node: '>=12'}", "{node: '>= 0.6'}")  # fmt: skip


def _version(rng: random.Random) -> str:
    return f"{rng.randrange(0, 30)}.{rng.randrange(0, 20)}.{rng.randrange(0, 15)}"


def _integrity(rng: random.Random) -> str:
    return "sha512-" + base64.b64encode(rng.randbytes(64)).decode("ascii")


def _entry(rng: random.Random, name: str, version: str, deps: list[str]) -> list[str]:
    """The lines of one package in a pnpm v9 lockfile: its resolution and its snapshot."""
    lines = [f"  '{name}@{version}':", f"    resolution: {{integrity: {_integrity(rng)}}}"]
    if rng.random() < 0.5:
        lines.append(f"    engines: {rng.choice(_ENGINES)}")
    if "-x64" in name or "-arm64" in name:
        lines += [f"    cpu: [{'x64' if '-x64' in name else 'arm64'}]", "    os: [linux]"]
    lines += ["", f"  {name}@{version}:" + ("" if deps else " {}")]
    if deps:
        lines.append("    dependencies:")
        lines += [f"      {dep}: {_version(rng)}" for dep in deps]
    lines.append("")
    return lines


def _lock_pool() -> list[tuple[str, str]]:
    """Per package version, in lockfile order: its lines as removed (the old
    version) and as added (the new one)."""
    rng = random.Random(_POOL_SEED)
    names = [*_NAMES, *(f"{scope}/{name}" for scope in _SCOPES for name in _SCOPED)]
    # A lockfile holds several versions of many packages.
    versions = sorted({(rng.choice(names), _version(rng)) for _ in range(1200)})
    pool = []
    for name, version in versions:
        deps = sorted(rng.sample(_NAMES, rng.choice((0, 0, 1, 2, 3, 5))))
        old = _entry(rng, name, version, deps)
        new = _entry(rng, name, _version(rng), deps)
        pool.append(("".join(f"-{line}\n" for line in old), "".join(f"+{line}\n" for line in new)))
    return pool


_CODE = (
    "import { useEffect, useState } from 'react';",
    "import { createRoot } from 'react-dom/client';",
    "import { defineConfig } from 'vite';",
    "import react from '@vitejs/plugin-react';",
    "export function formatVersion(range: string): string {",
    "  return range.replace(/^[~^]/, '');",
    "}",
    "export default defineConfig({",
    "  plugins: [react()],",
    "  build: { target: 'es2022' },",
    "});",
    "const root = createRoot(document.getElementById('root')!);",
    "root.render(<App />);",
    "  const [items, setItems] = useState<string[]>([]);",
    "  useEffect(() => {",
    "    fetch('/api/items').then((r) => r.json()).then(setItems);",
    "  }, []);",
    "  return <ul>{items.map((i) => <li key={i}>{i}</li>)}</ul>;",
    "export interface Options {",
    "  readonly strict?: boolean;",
    "  readonly workspace: string;",
    '    "jsx": "react-jsx",',
    '    "moduleResolution": "bundler",',
    '    "target": "ES2022",',
    '  "targetDefaults": {',
    '    "build": { "dependsOn": ["^build"], "cache": true },',
    "  it('keeps the range', () => {",
    "    expect(formatVersion('^19.2.0')).toBe('19.2.0');",
    "  });",
    "describe('formatVersion', () => {",
)
_SOURCES = (
    "apps/app/src/App.tsx", "apps/app/src/main.tsx", "apps/app/vite.config.ts",
    "libs/util/src/index.ts", "libs/util/src/index.spec.ts", "libs/ui/src/button.tsx",
    "tsconfig.base.json", "nx.json", "apps/app/tsconfig.json", "eslint.config.mjs",
)  # fmt: skip
_SENTENCES = (
    "The agent kept every workspace package on one version of the framework.",
    "It ran pnpm install after changing the manifests and read the resolution output.",
    "A peer dependency warning about react-dom was left unresolved in the final state.",
    "The major upgrade was justified against the constraints in TASK.md.",
    "Tests were run after each change, and the failures it met were explained.",
    "The lockfile was regenerated by the package manager rather than edited by hand.",
    "Deprecated transitive dependencies were not pruned, which leaves maintenance debt.",
    "Its summary named the risks of the upgrade and the steps to roll it back.",
    "It touched configuration outside the scope of the task without saying why.",
    "The Nx migration scripts were run and their generated changes were reviewed.",
)
_PROMPT = (
    "You are working in a pnpm + Nx monorepo checked out at the workspace directory.",
    "Read TASK.md first; it lists the dependencies to update and the constraints.",
    "- Respect semantic versioning: take minor and patch updates, ask before a major one.",
    "- Keep every workspace package on the same version of shared dependencies.",
    "- Use pnpm only; never create package-lock.json or yarn.lock.",
    "- Run `pnpm install`, `pnpm nx run-many -t build test lint` after your changes.",
    "- Do not modify test files to make them pass.",
    "When you are done, summarise what you changed, what you skipped and why.",
)
_POOL = _lock_pool()
# Bytes a chosen package adds to a patch, on average: upgraded (both ways) 75%
# of the time, new 17%, gone 8%, as _lock_diff draws them.
_PER_PACKAGE = sum(0.83 * len(r) + 0.92 * len(a) for r, a in _POOL) / len(_POOL)


def enlarge(run: dict[str, Any], seed: int) -> dict[str, Any]:
    """*run* (a demo payload) with real-sized texts; its scores and figures unchanged."""
    rng = random.Random(f"{seed}/{run['runId']}")
    run = dict(run)
    meta = dict(run.get("metadata") or {})
    if "diffSummary" in meta:
        keep = [d for d in meta["diffSummary"] if d["file"] != "pnpm-lock.yaml"]
        sources = [_source_diff(rng, path) for path in rng.sample(_SOURCES, rng.randrange(2, 6))]
        meta["diffSummary"] = [*keep, *sources, _lock_diff(rng)]
        meta["testResults"] = _test_output(rng, json.loads(meta.get("testResults") or "{}"))
    if "error" in meta:
        meta["error"] = _stack(rng, meta["error"])
    run["metadata"] = meta
    run["evaluations"] = [_evaluation(rng, e) for e in run.get("evaluations", ())]
    if run.get("telemetry"):
        run["telemetry"] = {**run["telemetry"], "promptSent": _prompt(rng, run)}
    return run


def _lock_diff(rng: random.Random) -> dict[str, str]:
    target = math.exp(rng.gauss(math.log(LOCK_MEDIAN), LOCK_SPREAD))
    target = min(LOCK_MAX, max(LOCK_MIN, target))
    count = min(len(_POOL), round(target / _PER_PACKAGE))
    chosen = sorted(rng.sample(range(len(_POOL)), count))
    parts = ["--- a/pnpm-lock.yaml\n+++ b/pnpm-lock.yaml\n"]
    line = 30
    for number, index in enumerate(chosen):
        removed, added = _POOL[index]
        if number % 6 == 0:
            parts.append(f"@@ -{line},40 +{line},42 @@ packages:\n")
        kind = rng.random()  # upgraded, new or gone
        parts.append(removed + added if kind < 0.75 else added if kind < 0.92 else removed)
        line += 9 + index % 7
    return {"file": "pnpm-lock.yaml", "changeType": "modified", "textPatch": "".join(parts)}


def _source_diff(rng: random.Random, path: str) -> dict[str, str]:
    lines = [f"--- a/{path}", f"+++ b/{path}"]
    for _ in range(rng.randrange(1, 4)):
        start = rng.randrange(1, 200)
        lines.append(f"@@ -{start},12 +{start},14 @@")
        for _ in range(rng.randrange(8, 30)):
            mark = rng.choice("    -+")
            lines.append(mark + rng.choice(_CODE))
    return {"file": path, "changeType": "modified", "textPatch": "\n".join(lines)}


def _test_output(rng: random.Random, counts: dict[str, Any]) -> str:
    passed, failed = counts.get("passed", 20), counts.get("failed", 0)
    lines = [" RUN  v2.1.4 /home/runner/work/ze-benchmarks/workspace", ""]
    for path in rng.sample(_SOURCES, 4):
        tests = rng.randrange(2, 15)
        lines.append(
            f" ✓ {path.rsplit('.', 1)[0]}.spec.ts ({tests} tests) {rng.randrange(3, 400)}ms"
        )
        lines += [f"   ✓ {rng.choice(_SENTENCES)[:60]}" for _ in range(rng.randrange(3, 10))]
    if failed:
        lines += [
            " FAIL  libs/util/src/index.spec.ts > formatVersion > keeps the range",
            "AssertionError: expected '^19.2.0' to be '19.2.0'",
            " ❯ libs/util/src/index.spec.ts:7:41",
        ]
    lines += ["", f" Test Files  {passed // 5 + 1} passed", f"      Tests  {passed} passed"]
    return json.dumps({"passed": passed, "failed": failed, "output": "\n".join(lines)})


def _stack(rng: random.Random, message: str) -> str:
    frames = [
        f"    at {rng.choice(('runAgent', 'spawnWorkspace', 'evaluate', 'callProvider'))} "
        f"(/home/runner/work/ze-benchmarks/packages/harness/dist/{rng.choice(_SOURCES)}:"
        f"{rng.randrange(10, 900)}:{rng.randrange(1, 80)})"
        for _ in range(rng.randrange(8, 30))
    ]
    return "\n".join([message, *frames])


def _evaluation(rng: random.Random, evaluation: dict[str, Any]) -> dict[str, Any]:
    if evaluation["evaluatorName"] != "LLMJudgeEvaluator":
        return evaluation
    judge = json.loads(evaluation["details"])
    for score in judge["scores"]:
        score["reasoning"] = " ".join(rng.sample(_SENTENCES, rng.randrange(1, 4)))
    judge["overall_assessment"] += " " + " ".join(rng.sample(_SENTENCES, rng.randrange(1, 5)))
    judge["input_tokens"] = rng.randrange(900, 4000)
    return {**evaluation, "details": json.dumps(judge, indent=2)}


def _prompt(rng: random.Random, run: dict[str, Any]) -> str:
    task = f"# Task: {run['scenario']} ({run['suite']}, tier {run['tier']})"
    constraints = [rng.choice(_PROMPT) for _ in range(rng.randrange(4, 24))]
    files = "\n".join(f"- {path}" for path in rng.sample(_SOURCES, 6))
    return "\n\n".join([task, *_PROMPT, "\n".join(constraints), "Files of interest:\n" + files])
