"""von Hippel's two-stage rule for m, and the Gelman-Rubin burn-in check."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from analysis.imputation_count import burn_in_needed, gelman_rubin, imputations_needed


@pytest.mark.parametrize(
    ("fmi", "m_pilot", "upper", "m_rule"),
    [
        # R: plogis(qlogis(0.0854) + qnorm(0.975) * sqrt(2/5))                   -> 0.243875
        #    ceiling(1 + 1/2 * (plogis(qlogis(0.0854) + qnorm(0.975)*sqrt(2/5)) / 0.05)^2) -> 13
        #    (howManyImputations::how_many_imputations computes exactly this)
        (0.0854, 5, 0.243875, 13),
        # R: ceiling(1 + 1/2*(plogis(qlogis(0.3) + qnorm(0.975)*sqrt(2/20))/0.05)^2) -> 41
        (0.3, 20, None, 41),
    ],
)
def test_rule_matches_the_r_formula(fmi, m_pilot, upper, m_rule):
    row = imputations_needed(fmi, m_pilot, cv=0.05, alpha=0.05, m_min=2, m_max=1000).iloc[0]
    if upper is not None:
        assert row["fmi_upper"] == pytest.approx(upper, abs=1e-6)
    assert row["m_rule"] == m_rule
    assert row["m"] == max(m_rule, m_pilot)


def test_rule_by_hand_and_bounds():
    # by hand: logit(0.02) = ln(0.02/0.98) = -3.8918; + 1.95996 * sqrt(2/5) = -2.6522;
    # logistic = 0.06584; 1 + 0.5 * (0.06584 / 0.05)^2 = 1.867 -> 2
    row = imputations_needed(0.02, 5, m_min=2, m_max=100).iloc[0]
    assert row["fmi_upper"] == pytest.approx(0.06584, abs=1e-4)
    assert row["m_rule"] == 2 and row["m"] == 5  # the pilot's five count and stay
    assert imputations_needed(0.02, 5, m_min=8).iloc[0]["m"] == 8
    assert imputations_needed(0.9, 5, m_max=60).iloc[0]["m"] == 60
    # a smaller target CV needs quadratically more imputations
    loose = imputations_needed(0.2, 10, cv=0.1, m_max=10_000).iloc[0]["m_rule"]
    tight = imputations_needed(0.2, 10, cv=0.05, m_max=10_000).iloc[0]["m_rule"]
    assert 3.5 * (loose - 1) < tight - 1 < 4.5 * loose
    zero = imputations_needed(0.0, 5, m_min=2).iloc[0]
    assert zero["fmi_upper"] == 0.0 and zero["m_rule"] == 1 and zero["m"] == 5


@pytest.mark.parametrize("bad", [dict(fmi=-0.1), dict(fmi=float("nan")), dict(m_pilot=1),
                                 dict(cv=0.0), dict(m_min=10, m_max=5)])
def test_rule_refuses_nonsense(bad):
    args = dict(fmi=0.1, m_pilot=5, cv=0.05, m_min=2, m_max=100) | bad
    with pytest.raises(ValueError):
        imputations_needed(args.pop("fmi"), args.pop("m_pilot"), **args)


def _r_hat_by_hand(chains: list[list[float]]) -> float:
    n = len(chains[0])
    w = statistics.mean(statistics.variance(c) for c in chains)
    b = n * statistics.variance([statistics.mean(c) for c in chains])
    return math.sqrt(((n - 1) / n * w + b / n) / w)


def test_gelman_rubin_by_hand():
    rng = np.random.default_rng(3)
    trace = rng.normal(size=(4, 7, 2))
    trace[:, :, 1] += 3 * np.arange(4)[:, None]  # chains that do not mix
    r = gelman_rubin(trace)
    for v in range(2):
        assert r[v] == pytest.approx(_r_hat_by_hand(trace[:, :, v].tolist()), rel=1e-12)
    assert r[0] < 1.3 < 2 < r[1]
    flat = np.zeros((3, 5, 1))
    assert gelman_rubin(flat)[0] == 1.0  # nothing moves: mixed
    apart = np.repeat(np.arange(3.0)[:, None, None], 5, axis=1)
    assert gelman_rubin(apart)[0] == np.inf


def test_burn_in_is_the_first_cycle_count_at_which_the_chains_mix():
    rng = np.random.default_rng(8)
    chains, cycles = 5, 20
    # each chain starts far from the others and decays to the common distribution
    start = rng.normal(scale=20.0, size=(chains, 1, 1))
    decay = 0.3 ** np.arange(cycles)[None, :, None]
    trace = start * decay + rng.normal(size=(chains, cycles, 1))
    row = burn_in_needed(trace, threshold=1.1, minimum=2).iloc[0]
    assert row["converged"] and 4 <= row["burn_in"] < cycles
    t = int(row["burn_in"])
    assert gelman_rubin(trace[:, t // 2 : t])[0] < 1.1
    if t > 4:  # one cycle fewer had not mixed yet
        assert gelman_rubin(trace[:, (t - 1) // 2 : t - 1])[0] >= 1.1
    assert row["r_hat"] == pytest.approx(gelman_rubin(trace[:, t // 2 : t]).max())
    # never mixing chains: the traced length, flagged
    stuck = trace + 100 * np.arange(chains)[:, None, None]
    row = burn_in_needed(stuck, threshold=1.1, minimum=2).iloc[0]
    assert not row["converged"] and row["burn_in"] == cycles and row["r_hat"] > 10
    # the minimum holds even when the chains mix at once
    mixed = rng.normal(size=(chains, cycles, 3))
    assert burn_in_needed(mixed, minimum=9).iloc[0]["burn_in"] >= 9
