"""The paired comparison: choosing the method, the figures, the verdict, the per-cell table."""

from __future__ import annotations

import json

import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from generator import statistics as s
from generator.statistics.paired import Outcome, by_cell, compare, flaky_cells, pass_curves
from generator.statistics.verdict import decide, power_sentence


def runs(cells, **extra):
    """Outcomes from {(scenario, tier): [success, ...]} in suite "s"."""
    return [
        Outcome("s", scenario, tier, success, **extra)
        for (scenario, tier), successes in cells.items()
        for success in successes
    ]


def single(pattern):
    """One run per cell: cell i succeeds when pattern[i] is truthy."""
    return runs({(f"sc{i:02d}", "L0"): [bool(v)] for i, v in enumerate(pattern)})


# --- choosing the method ------------------------------------------------------------


def test_one_run_per_cell_uses_exact_mcnemar():
    # 20 cells: 12 both succeed, 7 only the base succeeds, 1 only the candidate.
    base = single([1] * 12 + [1] * 7 + [0] + [0] * 0)
    cand = single([1] * 12 + [0] * 7 + [1])
    result = compare(base, cand)
    assert result["method"] == "mcnemar" and result["note"] is None
    assert result["pairedCells"] == 20 and result["changedCells"] == 8
    assert result["successRateDelta"] == pytest.approx(-6 / 20)
    expected = mcnemar([[12, 7], [1, 0]], exact=True).pvalue
    assert result["pValue"] == pytest.approx(expected)
    assert result["successRateDeltaCI"] == pytest.approx(list(s.newcombe_paired(12, 7, 1, 0)))


def test_repeated_cells_use_cell_mean_differences_with_sign_flip_p():
    base = runs({(f"sc{i}", "L1"): [True, True, True] for i in range(8)})
    cand = runs({(f"sc{i}", "L1"): [True, False, i % 2 == 0] for i in range(8)})
    result = compare(base, cand)
    diffs = [-1 / 3 if i % 2 == 0 else -2 / 3 for i in range(8)]
    assert result["method"] == "paired-cells" and result["pairedCells"] == 8
    assert result["successRateDelta"] == pytest.approx(sum(diffs) / 8)
    assert result["successRateDeltaCI"] == pytest.approx(list(s.t_interval(diffs)))
    assert result["pValue"] == pytest.approx(2 / 2**8)
    assert result["verdict"] == "regression"


def test_too_few_paired_cells_fall_back_to_newcombe_and_say_so():
    base = runs({("a", "L0"): [True] * 6, ("b", "L0"): [True] * 6, ("c", "L0"): [False]})
    cand = runs({("a", "L0"): [False], ("x", "L0"): [False] * 8, ("y", "L0"): [True] * 3})
    result = compare(base, cand)
    assert result["method"] == "unpaired" and result["pairedCells"] == 1
    assert "too few to pair" in result["note"] and "mixes in" in result["note"]
    assert result["successRateDelta"] == pytest.approx(3 / 12 - 12 / 13)
    assert result["successRateDeltaCI"] == pytest.approx(list(s.newcombe(12, 13, 3, 12)))
    assert result["pValue"] == pytest.approx(stats.fisher_exact([[12, 1], [3, 9]]).pvalue)


def test_pairing_that_leaves_most_runs_out_is_not_used():
    shared = {(f"sc{i}", "L0"): [True] for i in range(3)}
    base = runs({**shared, **{(f"b{i}", "L0"): [True] for i in range(10)}})
    cand = runs({**shared, **{(f"c{i}", "L0"): [False] for i in range(10)}})
    result = compare(base, cand)
    assert result["method"] == "unpaired" and result["pairedCells"] == 3
    assert [row["side"] for row in result["unpairedCells"]] == ["base"] * 10 + ["candidate"] * 10


def test_issue_example_three_of_three_to_three_of_five_is_not_a_regression():
    base = runs({("a", "L0"): [True] * 3})
    cand = runs({("a", "L0"): [True, False, True, False, True]})
    result = compare(base, cand)
    assert result["successRateDelta"] == pytest.approx(-0.4)
    assert result["pValue"] > 0.4 and result["verdict"] == "inconclusive"
    assert "mixes in" not in result["note"]
    # The same runs spread over three cells: still far from significant.
    base = runs({("a", "L0"): [True], ("b", "L0"): [True], ("c", "L0"): [True]})
    cand = runs({("a", "L0"): [True], ("b", "L0"): [True, False], ("c", "L0"): [False, True]})
    result = compare(base, cand)
    assert result["method"] == "paired-cells" and result["pValue"] == 0.5
    assert result["verdict"] == "inconclusive"


def test_unknown_success_is_left_out_and_counted():
    base = runs({("a", "L0"): [True, None, None], ("b", "L0"): [False]})
    cand = runs({("a", "L0"): [None], ("b", "L0"): [True]})
    result = compare(base, cand)
    assert result["base"]["runs"] == 4 and result["base"]["runsWithKnownSuccess"] == 2
    assert result["base"]["successRate"] == 0.5 and result["pairedCells"] == 1
    cell_a = result["cells"][0]
    assert cell_a["pValue"] is None and cell_a["qValue"] is None and not cell_a["flagged"]


def test_a_side_without_known_success_is_inconclusive():
    result = compare(runs({("a", "L0"): [None, None]}), runs({("a", "L0"): [True]}))
    assert result["successRateDelta"] is None and result["pValue"] is None
    assert result["verdict"] == "inconclusive" and "no runs with known success" in result["note"]
    assert result["base"]["successRateCI"] is None


# --- verdicts ------------------------------------------------------------------------


def test_regression_needs_significance_and_a_material_drop():
    base, cand = single([1] * 40), single([0] * 10 + [1] * 30)
    result = compare(base, cand)
    assert result["pValue"] < 0.05 and result["successRateDelta"] == pytest.approx(-0.25)
    assert result["verdict"] == "regression"
    assert "down 25 points" in result["verdictReason"]


def test_improvement():
    result = compare(single([0] * 10 + [1] * 30), single([1] * 40))
    assert result["verdict"] == "improvement"


def test_too_few_discordant_cells_is_inconclusive_even_with_many_cells():
    base, cand = single([1] * 100), single([0] * 5 + [1] * 95)
    result = compare(base, cand)
    assert result["changedCells"] == 5 and result["pValue"] == pytest.approx(1 / 16)
    assert result["verdict"] == "inconclusive"
    assert "too few discordant cells" in result["verdictReason"]


def test_significant_drop_within_tolerance_is_no_significant_change():
    # 8 of 400 cells flip from success to failure: p < 0.01 but only 2 points.
    base, cand = single([1] * 400), single([0] * 8 + [1] * 392)
    result = compare(base, cand)
    assert result["pValue"] < 0.01 and result["verdict"] == "no significant change"
    assert "within the tolerance" in result["verdictReason"]
    # A tolerance of 1 point makes the same runs a regression.
    assert compare(base, cand, tolerance=0.01)["verdict"] == "regression"


def test_large_undetectable_effect_is_inconclusive():
    base = single([1, 0] * 5)
    cand = single([0, 1] * 3 + [1, 0] * 2)
    result = compare(base, cand)
    assert result["changedCells"] == 6 and result["pValue"] == 1.0
    assert result["minDetectableEffect"] > 0.05 and result["verdict"] == "inconclusive"
    assert result["power"].startswith("with these runs, drops smaller than ")


def test_tolerance_boundary_counts_exactly_five_points_as_material():
    assert decide(-0.05, 0.01, 0.02, 40)[0] == "regression"
    assert decide(-0.0499, 0.01, 0.02, 40)[0] == "no significant change"
    assert decide(0.3, 0.2, 0.04, 40) == (
        "no significant change",
        "success rate up 30 points, over the tolerance of 5 points but not significant (p = 0.2)",
    )
    assert decide(0.0, 1.0, 0.03, 40)[0] == "no significant change"


def test_power_sentence():
    assert power_sentence(0.1449) == (
        "with these runs, drops smaller than 14 points cannot be detected"
    )
    assert power_sentence(0.14) == (
        "with these runs, drops smaller than 14 points cannot be detected"
    )
    assert "cannot be worked out" in power_sentence(None)


def test_minimum_detectable_effect_uses_the_spread_of_cell_differences():
    base, cand = single([1] * 30), single([0] * 4 + [1] * 26)
    result = compare(base, cand)
    diffs = [-1.0] * 4 + [0.0] * 26
    sd = (sum((d + 4 / 30) ** 2 for d in diffs) / 29) ** 0.5
    assert result["minDetectableEffect"] == pytest.approx(s.mde_paired(sd, 30))


# --- scores, cost and duration -------------------------------------------------------


def _scored(cells):
    return [
        Outcome("s", scenario, "L0", True, score, cost, duration)
        for scenario, values in cells.items()
        for score, cost, duration in values
    ]


def test_score_cost_and_duration_are_paired_by_cell():
    base = _scored({f"sc{i}": [(5.0 + i, 0.10 * (i + 1), 1000.0)] for i in range(6)})
    cand = _scored({f"sc{i}": [(6.0 + i + (i % 2), 0.115 * (i + 1), 900.0 + i)] for i in range(6)})
    result = compare(base, cand)
    score_diffs = [1.0 + (i % 2) for i in range(6)]
    assert result["scoreMethod"] == "paired-cells"
    assert result["scoreDelta"] == pytest.approx(1.5)
    assert result["scoreDeltaCI"] == pytest.approx(list(s.t_interval(score_diffs)))
    assert result["scorePValue"] == pytest.approx(2 / 64)
    assert result["costRatio"] == pytest.approx(1.15)
    assert result["costRatioCI"] == pytest.approx([1.15, 1.15])
    assert 0.9 < result["durationRatio"] < 0.91
    low, high = result["durationRatioCI"]
    assert low < result["durationRatio"] < high


def test_cost_ratio_without_pairs_and_without_positive_costs():
    base = _scored({"a": [(5.0, 0.1, 10.0), (6.0, 0.2, 10.0)]})
    cand = _scored({"b": [(5.0, 0.3, 10.0), (7.0, 0.5, 10.0)]})
    result = compare(base, cand)
    expected = s.log_ratio_interval([0.1, 0.2], [0.3, 0.5])
    assert result["costRatio"] == pytest.approx(expected[0])
    assert result["costRatioCI"] == pytest.approx(list(expected[1]))
    assert result["scoreMethod"] == "unpaired"
    welch = stats.ttest_ind([5.0, 7.0], [5.0, 6.0], equal_var=False)
    assert result["scorePValue"] == pytest.approx(welch.pvalue)
    free = compare(_scored({"a": [(5.0, 0.0, None)]}), _scored({"a": [(5.0, 0.0, None)]}))
    assert free["costRatio"] is None and free["durationRatio"] is None


# --- the per-cell table --------------------------------------------------------------


def test_cells_have_fisher_p_and_benjamini_hochberg_q():
    base = runs({(f"sc{i}", "L0"): [True] * 6 for i in range(5)})
    cand = runs({(f"sc{i}", "L0"): [True] * (6 - i) + [False] * i for i in range(5)})
    result = compare(base, cand)
    expected_p = [stats.fisher_exact([[6, 0], [6 - i, i]]).pvalue for i in range(5)]
    assert [row["pValue"] for row in result["cells"]] == pytest.approx(expected_p)
    expected_q = multipletests(expected_p, method="fdr_bh")[1]
    assert [row["qValue"] for row in result["cells"]] == pytest.approx(list(expected_q))
    last = result["cells"][-1]
    assert last["base"] == {
        "runs": 6,
        "successfulRuns": 6,
        "runsWithKnownSuccess": 6,
        "successRate": 1.0,
    }
    assert last["candidate"]["successfulRuns"] == 2 and last["flagged"] is False
    assert [row["scenario"] for row in result["cells"]] == [f"sc{i}" for i in range(5)]


def test_cells_are_sorted_and_unpaired_cells_listed_apart():
    base = [Outcome("t", "b", "L1", True), Outcome("s", "z", "L0", True), Outcome("s", "a", None)]
    cand = [Outcome("s", "a", None, False), Outcome("s", "z", "L0", True)]
    result = compare(base, cand)
    assert [(c["suite"], c["scenario"], c["tier"]) for c in result["cells"]] == [
        ("s", "a", None),
        ("s", "z", "L0"),
    ]
    assert result["unpairedCells"] == [
        {
            "suite": "t",
            "scenario": "b",
            "tier": "L1",
            "side": "base",
            "runs": 1,
            "successfulRuns": 1,
            "runsWithKnownSuccess": 1,
            "successRate": 1.0,
        }
    ]


def test_dicts_are_accepted_like_outcomes():
    as_dicts = [
        {"suite": "s", "scenario": "a", "tier": "L0", "success": True, "score": 7.5, "cost": 0.1}
    ]
    assert compare(as_dicts, as_dicts) == compare(
        [Outcome("s", "a", "L0", True, 7.5, 0.1)], [Outcome("s", "a", "L0", True, 7.5, 0.1)]
    )


# --- determinism and shape -----------------------------------------------------------

KEYS = [
    "base",
    "candidate",
    "method",
    "pairedCells",
    "successRateDelta",
    "successRateDeltaCI",
    "pValue",
    "changedCells",
    "minDetectableEffect",
    "note",
    "scoreMethod",
    "scoreDelta",
    "scoreDeltaCI",
    "scorePValue",
    "costRatio",
    "costRatioCI",
    "durationRatio",
    "durationRatioCI",
    "power",
    "tolerance",
    "alpha",
    "verdict",
    "verdictReason",
    "cells",
    "unpairedCells",
]


def _many_cells():
    base, cand = [], []
    for i in range(45):
        for r in range(3):
            base.append(Outcome("s", f"sc{i:02d}", "L0", (i + r) % 4 != 0, 5.0 + (i * r) % 3))
            cand.append(Outcome("s", f"sc{i:02d}", "L0", (i * r) % 5 != 1, 4.0 + (i + r) % 4))
    return base, cand


def test_same_input_gives_identical_json_even_past_twenty_cells():
    base, cand = _many_cells()
    first = compare(base, cand)
    assert first["method"] == "paired-cells" and first["changedCells"] > 20
    assert list(first) == KEYS
    again = compare(list(reversed(base)), list(reversed(cand)))
    assert json.dumps(first, sort_keys=False) == json.dumps(again, sort_keys=False)


def test_output_is_json_ready():
    base, cand = _many_cells()
    text = json.dumps(compare(base, cand), allow_nan=False)
    assert json.loads(text)["base"]["runs"] == 135


# --- flakiness and pass curves ---------------------------------------------------------


def test_flaky_cells():
    outcomes = runs(
        {
            ("a", "L0"): [True, False, True, True, False],
            ("b", "L0"): [True, True],
            ("c", "L0"): [False],
            ("d", "L0"): [True, None, False],
        }
    )
    result = flaky_cells(outcomes)
    assert result["cellsWithRepeats"] == 3 and result["flakyCells"] == 2
    assert result["flakyShare"] == pytest.approx(2 / 3)
    assert result["meanDisagreement"] == pytest.approx((0.6 + 0 + 1.0) / 3)
    assert [(c["scenario"], c["disagreement"]) for c in result["cells"]] == [
        ("a", pytest.approx(0.6)),
        ("d", 1.0),
    ]
    assert flaky_cells([])["flakyShare"] is None


def test_pass_curves():
    outcomes = runs({("a", "L0"): [True, True, True, False, False], ("b", "L0"): [True, False]})
    curves = pass_curves(outcomes, kmax=3)
    assert curves[0] == {"k": 1, "passAtK": pytest.approx(0.55), "passHatK": 0.55, "cells": 2}
    assert curves[1]["passAtK"] == pytest.approx((0.9 + 1.0) / 2)
    assert curves[1]["passHatK"] == pytest.approx((0.3 + 0.0) / 2)
    assert curves[2] == {"k": 3, "passAtK": 1.0, "passHatK": pytest.approx(0.1), "cells": 1}
    assert [c["k"] for c in pass_curves(outcomes)] == [1, 2, 3, 4, 5]


def test_by_cell_keeps_run_order_and_sorts_cells():
    outcomes = [Outcome("s", "b", "L0", True), Outcome("s", "a", "L0", False)]
    outcomes.append(Outcome("s", "b", "L0", False))
    cells = by_cell(outcomes)
    assert list(cells) == [("s", "a", "L0"), ("s", "b", "L0")]
    assert [o.success for o in cells["s", "b", "L0"]] == [True, False]
