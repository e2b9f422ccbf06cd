"""generator.statistics and generator.statistics.student_t against scipy / statsmodels, the worked
examples of docs/statistics.md, brute-force enumeration and properties."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from generator import statistics as s
from generator.statistics.student_t import incomplete_beta, t_cdf, t_quantile


def close(actual, expected, tol=1e-9):
    """Element-wise closeness of two numbers or two intervals."""
    if isinstance(expected, tuple | list):
        return len(actual) == len(expected) and all(
            math.isclose(a, e, rel_tol=tol, abs_tol=tol)
            for a, e in zip(actual, expected, strict=True)
        )
    return math.isclose(actual, expected, rel_tol=tol, abs_tol=tol)


# --- Student's t -------------------------------------------------------------------


def test_t_quantile_matches_scipy_for_df_1_to_1000():
    worst = 0.0
    for df in range(1, 1001):
        for p in (0.6, 0.9, 0.975, 0.995, 0.025, 1e-6):
            expected = stats.t.ppf(p, df)
            worst = max(worst, abs(t_quantile(p, df) - expected) / max(1.0, abs(expected)))
    assert worst < 1e-6


@pytest.mark.parametrize("df", [0.5, 1.5, 2.7, 7.25, 33.3, 5000, 1e6])
def test_t_quantile_and_cdf_match_scipy_for_fractional_and_large_df(df):
    for p in (0.5, 0.75, 0.975, 0.9999):
        assert close(t_quantile(p, df), stats.t.ppf(p, df), 1e-8)
    for t in (-40.0, -2.0, -1e-7, 0.0, 0.3, 2.5, 12.0):
        assert close(t_cdf(t, df), stats.t.cdf(t, df), 1e-10)


def test_incomplete_beta_matches_scipy():
    from scipy.special import betainc

    for a, b, x in itertools.product((0.5, 1, 2.5, 40, 500), (0.5, 3, 77), (0.01, 0.3, 0.9, 0.999)):
        assert close(incomplete_beta(a, b, x), betainc(a, b, x), 1e-11)


@pytest.mark.parametrize("p, df", [(0, 3), (1, 3), (-0.2, 3), (0.5, 0), (0.9, -1)])
def test_t_quantile_refuses_impossible_arguments(p, df):
    with pytest.raises(ValueError):
        t_quantile(p, df)


# --- Wilson and Newcombe -------------------------------------------------------------


@pytest.mark.parametrize(
    "c, n, expected", [(3, 5, (0.231, 0.882)), (5, 5, (0.566, 1.0)), (0, 1, (0.0, 0.793))]
)
def test_wilson_worked_examples(c, n, expected):
    low, high = s.wilson(c, n)
    assert (round(low, 3), round(high, 3)) == expected


def test_wilson_matches_statsmodels_and_edges_are_exact():
    for n in range(1, 61):
        for c in range(n + 1):
            low, high = s.wilson(c, n)
            assert close((low, high), proportion_confint(c, n, method="wilson"), 1e-12)
        z2 = s.Z95**2
        assert s.wilson(0, n) == (0.0, pytest.approx(z2 / (n + z2)))
        assert s.wilson(n, n) == (pytest.approx(n / (n + z2)), 1.0)
    assert s.wilson(0, 0) is None


def test_wilson_refuses_more_successes_than_runs():
    with pytest.raises(ValueError):
        s.wilson(4, 3)


@given(st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_estimate_within_unit_interval(cn):
    c, n = cn
    low, high = s.wilson(c, n)
    assert 0.0 <= low <= c / n <= high <= 1.0


@given(st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n))))
def test_wilson_moves_up_when_a_success_is_added(cn):
    c, n = cn
    low, high = s.wilson(c, n)
    for better in (s.wilson(c + 1, n), s.wilson(c + 1, n + 1)):
        assert better[0] > low and better[1] >= high


def test_newcombe_matches_statsmodels():
    for c1, n1, c2, n2 in [
        (3, 3, 3, 5),
        (0, 10, 4, 10),
        (7, 34, 1, 34),
        (20, 20, 0, 20),
        (5, 9, 5, 9),
    ]:
        expected = confint_proportions_2indep(c2, n2, c1, n1, method="newcomb", compare="diff")
        assert close(s.newcombe(c1, n1, c2, n2), expected, 1e-12)
    assert s.newcombe(0, 0, 1, 2) is None


def test_newcombe_paired_matches_published_example():
    # Cavo et al. 2012 in Fagerland, Lydersen & Laake, "Statistical Analysis of
    # Contingency Tables", ch. 8: [[59, 6], [16, 80]], p1+ − p+1 = −0.0621
    # (−0.1186 to −0.0046). Here the difference is the other way round.
    low, high = s.newcombe_paired(59, 6, 16, 80)
    assert (round(low, 4), round(high, 4)) == (0.0046, 0.1186)


@given(st.lists(st.integers(0, 30), min_size=4, max_size=4).filter(lambda t: sum(t) > 0))
def test_newcombe_paired_contains_difference(table):
    both, base_only, cand_only, neither = table
    n = sum(table)
    low, high = s.newcombe_paired(*table)
    delta = (cand_only - base_only) / n
    assert -1.0 - 1e-12 <= low <= delta + 1e-12 and delta - 1e-12 <= high <= 1.0 + 1e-12


# --- exact tests ---------------------------------------------------------------------


def test_mcnemar_exact_matches_statsmodels():
    for b in range(16):
        for c in range(16):
            expected = mcnemar([[5, b], [c, 5]], exact=True).pvalue
            assert close(s.mcnemar_exact(b, c), expected, 1e-12)
    assert s.mcnemar_exact(0, 0) == 1.0


def test_mcnemar_cannot_reach_five_percent_below_six_discordant_cells():
    assert s.mcnemar_exact(0, 5) == 2.0**-4 > 0.05
    assert s.mcnemar_exact(0, 6) == 2.0**-5 < 0.05


def test_fisher_exact_matches_scipy():
    for a, b, c, d in itertools.product(range(5), range(4), range(5), range(4)):
        expected = stats.fisher_exact([[a, b], [c, d]]).pvalue
        assert close(s.fisher_exact(a, b, c, d), expected, 1e-9), (a, b, c, d)
    assert close(s.fisher_exact(3, 0, 3, 2), stats.fisher_exact([[3, 0], [3, 2]]).pvalue)


# --- intervals on means ------------------------------------------------------------


def test_t_interval_matches_scipy():
    rng = random.Random(3)
    for n in (2, 3, 10, 57):
        values = [rng.gauss(5, 2) for _ in range(n)]
        expected = stats.t.interval(0.95, n - 1, loc=np.mean(values), scale=stats.sem(values))
        assert close(s.t_interval(values), expected, 1e-9)
    assert s.t_interval([]) is None and s.t_interval([4.0]) is None


def _statsmodels_cluster(clusters):
    y = np.array([v for cluster in clusters for v in cluster], dtype=float)
    groups = np.array([i for i, cluster in enumerate(clusters) for _ in cluster])
    fit = sm.OLS(y, np.ones_like(y)).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    return float(fit.params[0]), tuple(fit.conf_int(0.05)[0])


@pytest.mark.parametrize(
    "clusters",
    [
        [[1, 2, 3], [7], [4, 4.5], [10, 11, 9, 8]],
        [[0, 10, 10], [10, 10], [0, 0, 0, 5], [3], [9, 9]],
        [[8.5, 7.0], [6.0, 6.5]],
    ],
)
def test_cluster_interval_matches_statsmodels_cr1(clusters):
    # statsmodels' default small-sample factor for clusters, G/(G−1)·(n−1)/(n−k), is
    # exactly G/(G−1) for the intercept-only model (k = 1), with df = G − 1.
    mean, interval = s.cluster_mean_interval(clusters)
    expected_mean, expected_interval = _statsmodels_cluster(clusters)
    assert close(mean, expected_mean) and close(interval, expected_interval, 1e-9)


def test_cluster_interval_of_single_values_is_the_t_interval():
    values = [3.0, 9.0, 4.5, 7.0, 1.0]
    mean, interval = s.cluster_mean_interval([[v] for v in values])
    assert mean == pytest.approx(4.9) and close(interval, s.t_interval(values))


def test_cluster_interval_needs_two_cells():
    assert s.cluster_mean_interval([[1.0, 2.0, 3.0]]) is None
    assert s.cluster_mean_interval([[1.0], []]) is None


def test_cluster_interval_is_wider_than_naive_when_cells_differ():
    clusters = [[0.0] * 5, [10.0] * 5, [0.0] * 5, [10.0] * 5]
    _, (low, high) = s.cluster_mean_interval(clusters)
    naive_low, naive_high = s.t_interval([v for c in clusters for v in c])
    assert high - low > 2 * (naive_high - naive_low)


def test_rate_interval_is_wilson_without_repeats_and_wider_with_them():
    singles = [(1, 1)] * 6 + [(1, 0)] * 4
    assert s.rate_interval(singles) == s.wilson(6, 10)
    repeated = [(5, 5), (5, 5), (5, 0), (5, 5), (5, 0), (5, 5)]
    low, high = s.rate_interval(repeated)
    wilson_low, wilson_high = s.wilson(20, 30)
    assert low < wilson_low - 0.05 and high > wilson_high + 0.02
    assert low >= 0.0 and high <= 1.0
    assert s.rate_interval([]) is None


def test_welch_matches_scipy():
    rng = random.Random(7)
    base = [rng.gauss(10, 1) for _ in range(6)]
    cand = [rng.gauss(11, 3) for _ in range(9)]
    delta, interval, p = s.welch(base, cand)
    expected = stats.ttest_ind(cand, base, equal_var=False)
    assert close(delta, np.mean(cand) - np.mean(base))
    assert close(p, expected.pvalue, 1e-9)
    assert close(interval, tuple(expected.confidence_interval(0.95)), 1e-9)
    assert s.welch([1.0], [1.0, 2.0]) is None
    assert s.welch([2.0, 2.0], [2.0, 2.0]) == (0.0, (0.0, 0.0), 1.0)


def test_log_ratio_interval_is_the_ratio_of_geometric_means():
    base = [0.10, 0.20, 0.40, 0.25]
    ratio, (low, high) = s.log_ratio_interval(base, [v * 1.15 for v in base])
    # Unpaired: the spread of each side stays in the interval even when every run scales.
    assert ratio == pytest.approx(1.15) and low < 1.15 < high
    assert low * high == pytest.approx(1.15**2)
    cand = [0.12, 0.31, 0.5, 0.22, 0.35]
    ratio, interval = s.log_ratio_interval(base, cand)
    expected = stats.ttest_ind(np.log(cand), np.log(base), equal_var=False).confidence_interval()
    assert close(ratio, stats.gmean(cand) / stats.gmean(base))
    assert close(interval, (math.exp(expected.low), math.exp(expected.high)), 1e-9)


def test_log_ratio_interval_leaves_out_values_without_a_log():
    assert s.log_ratio_interval([0.0, 0.0, 1.0], [1.0, 2.0]) is None
    ratio, _ = s.log_ratio_interval([0.0, None, 1.0, 4.0], [2.0, 8.0])
    assert ratio == pytest.approx(2.0)


# --- sign-flip permutation test ------------------------------------------------------


def _brute_force(diffs, alternative):
    observed = sum(diffs)
    sums = [
        sum(sign * d for sign, d in zip(signs, diffs, strict=True))
        for signs in itertools.product((1, -1), repeat=len(diffs))
    ]
    tie = 1e-9 * sum(abs(d) for d in diffs)
    hits = {
        "two-sided": lambda t: abs(t) >= abs(observed) - tie,
        "greater": lambda t: t >= observed - tie,
        "less": lambda t: t <= observed + tie,
    }[alternative]
    return sum(map(hits, sums)) / len(sums)


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_sign_flip_matches_brute_force_enumeration(alternative):
    rng = random.Random(11)
    for k in (1, 2, 5, 9, 12):
        diffs = [round(rng.uniform(-1, 0.6), 2) for _ in range(k)]
        assert close(s.sign_flip_pvalue(diffs, alternative), _brute_force(diffs, alternative))


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_sign_flip_matches_scipy_permutation_test(alternative):
    rng = random.Random(5)
    diffs = [rng.gauss(0.3, 1) for _ in range(16)]
    expected = stats.permutation_test(
        (np.array(diffs),),
        lambda x, axis: np.mean(x, axis=axis),
        permutation_type="samples",
        n_resamples=np.inf,
        alternative=alternative,
        vectorized=True,
    ).pvalue
    assert close(s.sign_flip_pvalue(diffs, alternative), expected, 1e-12)


def test_sign_flip_smallest_p_and_zeros():
    assert s.sign_flip_pvalue([1, 1, 1, 1, 1]) == 2 / 32
    assert s.sign_flip_pvalue([1, 1, 1, 1, 1, 0, 0, 0]) == 2 / 32
    assert s.sign_flip_pvalue([0, 0]) == 1.0 and s.sign_flip_pvalue([]) == 1.0
    assert s.sign_flip_pvalue([1, -1]) == 1.0
    assert s.sign_flip_pvalue([1] * 6, "greater") == 1 / 64
    assert s.sign_flip_pvalue([1] * 6, "less") == 1.0


def test_sign_flip_at_twenty_cells_is_still_exact():
    diffs = [1.0] * 15 + [-1.0] * 5
    # Sums of ±1 over 20 cells reach 10 or more with 2 · Σ_{j≥15} C(20, j) patterns.
    expected = 2 * sum(math.comb(20, j) for j in range(15, 21)) / 2**20
    assert s.sign_flip_pvalue(diffs) == pytest.approx(expected, rel=1e-12)


def _integer_exact(diffs, alternative):
    """Exact sign-flip p for integer differences, by counting sums with a table."""
    counts = {0: 1}
    for d in diffs:
        nxt: dict[int, int] = {}
        for total, ways in counts.items():
            for step in (d, -d):
                nxt[total + step] = nxt.get(total + step, 0) + ways
        counts = nxt
    observed = sum(diffs)
    hits = {
        "two-sided": lambda t: abs(t) >= abs(observed),
        "greater": lambda t: t >= observed,
        "less": lambda t: t <= observed,
    }[alternative]
    return sum(ways for total, ways in counts.items() if hits(total)) / 2 ** len(diffs)


@pytest.mark.parametrize("alternative", ["two-sided", "less"])
def test_sign_flip_beyond_twenty_cells_estimates_the_exact_value(alternative):
    rng = random.Random(2)
    diffs = [rng.choice([-3, -2, -1, 1, 1, 2, 2, 3]) for _ in range(40)]
    exact = _integer_exact(diffs, alternative)
    estimate = s.sign_flip_pvalue(diffs, alternative)
    # The Monte Carlo standard error with 20,000 draws is at most 0.0036.
    assert 0.01 < exact < 0.99 and abs(estimate - exact) < 0.015


def test_sign_flip_monte_carlo_is_deterministic_and_order_free():
    rng = random.Random(9)
    diffs = [rng.gauss(-0.2, 1) for _ in range(35)]
    first = s.sign_flip_pvalue(diffs)
    assert s.sign_flip_pvalue(diffs) == first
    assert s.sign_flip_pvalue(list(reversed(diffs))) == first
    assert s.sign_flip_pvalue(diffs, seed=s.SEED + 1) != first


def test_sign_flip_refuses_unknown_alternative():
    with pytest.raises(ValueError):
        s.sign_flip_pvalue([1.0], "smaller")


def test_paired_differences():
    result = s.paired_differences([0.5, 0.25, 1.0, 0.0, 0.75])
    assert result["cells"] == 5 and result["mean"] == pytest.approx(0.5)
    assert close(result["ci"], s.t_interval([0.5, 0.25, 1.0, 0.0, 0.75]))
    assert result["pValue"] == pytest.approx(2 / 16)
    empty = s.paired_differences([])
    assert empty == {"cells": 0, "mean": None, "sd": None, "ci": None, "pValue": None}


# --- Benjamini–Hochberg --------------------------------------------------------------


def test_benjamini_hochberg_worked_example():
    q = s.benjamini_hochberg([0.001, 0.008, 0.039, 0.041, 0.2, 0.6])
    assert close(q, [0.006, 0.024, 0.0615, 0.0615, 0.24, 0.6], 1e-12)


def test_benjamini_hochberg_matches_statsmodels_in_input_order_with_gaps():
    rng = random.Random(4)
    p = [rng.random() ** 3 for _ in range(25)]
    expected = multipletests(p, method="fdr_bh")[1]
    assert close(s.benjamini_hochberg(p), list(expected), 1e-12)
    with_gaps = [p[0], None, p[1], None]
    q = s.benjamini_hochberg(with_gaps)
    assert q[1] is None and q[3] is None
    assert close([q[0], q[2]], list(multipletests(p[:2], method="fdr_bh")[1]), 1e-12)
    assert s.benjamini_hochberg([]) == []


@given(st.lists(st.floats(0, 1) | st.none(), max_size=40))
def test_q_values_are_at_least_p_values_and_at_most_one(pvalues):
    for p, q in zip(pvalues, s.benjamini_hochberg(pvalues), strict=True):
        assert (p is None) == (q is None)
        assert p is None or p <= q <= 1.0


# --- repeated trials -----------------------------------------------------------------


def test_pass_at_k_and_pass_hat_k_worked_example():
    assert [s.pass_at_k(5, 3, k) for k in (1, 2, 3)] == pytest.approx([0.6, 0.9, 1.0])
    assert [s.pass_hat_k(5, 3, k) for k in (1, 2, 3)] == pytest.approx([0.6, 0.3, 0.1])
    assert s.pass_at_k(2, 1, 3) is None and s.pass_hat_k(2, 2, 3) is None
    assert s.pass_hat_k(5, 1, 2) == 0.0


def test_pass_measures_match_counting_every_choice_of_k_runs():
    for n in range(1, 8):
        for c in range(n + 1):
            runs = [True] * c + [False] * (n - c)
            for k in range(1, n + 1):
                choices = list(itertools.combinations(runs, k))
                assert close(s.pass_at_k(n, c, k), sum(map(any, choices)) / len(choices))
                assert close(s.pass_hat_k(n, c, k), sum(map(all, choices)) / len(choices))


def test_pass_at_k_equals_the_stable_product_form():
    n, c, k = 50, 7, 10
    product = math.prod(1 - k / i for i in range(n - c + 1, n + 1))
    assert close(s.pass_at_k(n, c, k), 1 - product, 1e-12)


@given(
    st.integers(1, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    st.integers(1, 60),
)
def test_pass_hat_k_never_exceeds_pass_at_k(nc, k):
    n, c = nc
    at, hat = s.pass_at_k(n, c, k), s.pass_hat_k(n, c, k)
    assert (at is None) == (hat is None) == (n < k)
    assert at is None or 0.0 <= hat <= at <= 1.0


def test_pass_over_cells_skips_cells_with_fewer_than_k_runs():
    cells = [(5, 3), (1, 1), (4, 0), (2, 2)]
    assert s.pass_over_cells(cells, 1) == (pytest.approx((0.6 + 1 + 0 + 1) / 4), 4)
    assert s.pass_over_cells(cells, 2, s.pass_hat_k) == (pytest.approx((0.3 + 0 + 1) / 3), 3)
    assert s.pass_over_cells(cells, 6) == (None, 0)


def test_pass_measures_refuse_impossible_counts():
    with pytest.raises(ValueError):
        s.pass_at_k(3, 4, 1)
    with pytest.raises(ValueError):
        s.pass_hat_k(3, 1, 0)


def test_disagreement_worked_example_and_brute_force():
    assert [s.disagreement(5, c) for c in range(6)] == pytest.approx([0, 0.4, 0.6, 0.6, 0.4, 0])
    assert s.disagreement(1, 1) is None and s.disagreement(0, 0) is None
    runs = [True, True, False, True, False, False, False]
    pairs = list(itertools.combinations(runs, 2))
    assert close(s.disagreement(7, 3), sum(a != b for a, b in pairs) / len(pairs))


# --- minimum detectable effect -------------------------------------------------------


def test_mde_paired_formula():
    assert s.mde_paired(0.5, 25) == pytest.approx((1.959964 + 0.841621) * 0.5 / 5, rel=1e-6)
    assert s.mde_paired(None, 25) is None and s.mde_paired(0.3, 0) is None
    assert s.mde_paired(0.5, 25, alpha=0.01) > s.mde_paired(0.5, 25)


def test_runs_needed_worked_example():
    # From 80% to 70% needs about 293 runs per side.
    assert round(s.runs_needed(0.8, 0.7)) == 293
    assert s.mde_unpaired(0.8, s.runs_needed(0.8, 0.7)) == pytest.approx(0.1, abs=1e-9)
    assert s.runs_needed(0.5, 0.5) == math.inf


def test_mde_unpaired_edges():
    assert s.mde_unpaired(0.0, 100) is None  # nothing to drop from
    assert s.mde_unpaired(0.02, 100) is None  # even a drop to 0 needs more runs
    assert s.mde_unpaired(0.9, 0) is None
    assert s.mde_unpaired(0.9, 30) > s.mde_unpaired(0.9, 300)


@settings(max_examples=50)
@given(st.floats(0.05, 1.0), st.integers(5, 2000))
def test_mde_unpaired_is_where_runs_needed_meets_the_runs(p, n):
    mde = s.mde_unpaired(p, n)
    if mde is None:
        assert s.runs_needed(p, 0.0) > n
    else:
        assert 0 < mde <= p and s.runs_needed(p, p - mde) == pytest.approx(n, rel=1e-6)


def test_moments_interval_equals_the_interval_of_the_values():
    import math

    from generator import statistics as st

    cells = [[1.0, 2.0, 3.5], [4.0], [2.5, 2.7], [9.0, 8.5]]
    moments = [(len(c), math.fsum(c), math.fsum(v * v for v in c)) for c in cells]
    assert st.moments_interval(moments) == pytest.approx(st.cluster_mean_interval(cells)[1])
    one = [1.0, 2.0, 3.5, 4.0]
    assert st.moments_interval([(4, sum(one), sum(v * v for v in one))]) == pytest.approx(
        st.t_interval(one)
    )
    assert st.moments_interval([(1, 3.0, 9.0)]) is None
    assert st.moments_interval([]) is None


# --- intervals the pages show: properties ----------------------------------------------

_CELLS = st.lists(
    st.integers(1, 12).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    min_size=1,
    max_size=12,
)


@given(_CELLS)
def test_rate_interval_contains_the_pooled_rate_and_stays_in_the_unit_interval(cells):
    low, high = s.rate_interval(cells)
    rate = sum(c for _, c in cells) / sum(n for n, _ in cells)
    assert 0.0 <= low <= rate + 1e-12 and rate - 1e-12 <= high <= 1.0
    wilson_low, wilson_high = s.wilson(sum(c for _, c in cells), sum(n for n, _ in cells))
    assert low <= wilson_low and high >= wilson_high  # Wilson widened, never narrowed


@given(
    st.lists(
        st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=6), min_size=1, max_size=8
    )
)
def test_moments_interval_contains_the_mean_of_the_values(cells):
    values = [v for cell in cells for v in cell]
    moments = [(len(c), math.fsum(c), math.fsum(v * v for v in c)) for c in cells]
    found = s.moments_interval(moments)
    if len(values) < 2:
        assert found is None
        return
    mean = math.fsum(values) / len(values)
    low, high = found
    assert low <= mean + 1e-9 and mean - 1e-9 <= high
