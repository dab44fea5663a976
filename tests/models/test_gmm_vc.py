"""Joint-density GMM conversion on small synthetic features: a linear speaker mapping, MLPG, GV, log-F0."""

from __future__ import annotations

import numpy as np
import pytest

from audiogan.errors import AudioGanError
from audiogan.models import gmm_vc

D = 4
SCALE = np.array([0.9, 1.1, 0.8, 1.0])
SHIFT = np.array([0.3, -0.2, 0.1, 0.5])


def _pairs(rng, n_utts=6, frames=160):
    """Speaker B = a fixed per-dimension linear map of A's frames (independent frames: DTW's diagonal path
    is clearly the cheapest, so alignment is exact)."""
    xs = [rng.normal(size=(frames, D)) for _ in range(n_utts)]
    return [(x, x * SCALE + SHIFT) for x in xs]


def _f0(rng, mean_hz, frames=160):
    f0 = np.exp(np.log(mean_hz) + 0.1 * rng.normal(size=frames))
    f0[::5] = 0.0  # some unvoiced frames
    return f0


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(0)
    pairs = _pairs(rng)
    f0s = [(_f0(rng, 220.0), _f0(rng, 110.0)) for _ in pairs]
    return gmm_vc.JointGMM.fit(pairs, f0s, n_components=2, reg_covar=1e-6, seed=0)


def test_learns_a_linear_mapping_both_ways(model):
    x = np.random.default_rng(1).normal(size=(120, D))
    y = model.convert(x, "A2B", gv_weight=0.0)
    assert y.shape == x.shape
    interior = slice(3, -3)  # the ends see zero-padded deltas
    assert np.abs(y[interior] - (x * SCALE + SHIFT)[interior]).mean() < 0.05
    back = model.convert(x * SCALE + SHIFT, "B2A", gv_weight=0.0)
    assert np.abs(back[interior] - x[interior]).mean() < 0.05


def test_mlpg_of_a_constant_sequence_is_constant():
    c = np.tile(np.array([0.5, -1.0, 2.0]), (30, 1))
    out = gmm_vc.mlpg(gmm_vc.add_deltas(c), np.ones((30, 6)))
    np.testing.assert_allclose(out, c, atol=1e-8)


def test_constant_input_converts_to_a_constant_trajectory(model):
    x = np.tile(np.array([0.2, -0.1, 0.4, 0.0]), (50, 1))
    y = model.convert(x, "A2B", gv_weight=0.0)
    interior = y[8:-8]
    assert np.ptp(interior, axis=0).max() < 1e-3
    np.testing.assert_allclose(interior[0], x[0] * SCALE + SHIFT, atol=0.05)


def test_gv_postfilter_restores_the_target_variance(model):
    rng = np.random.default_rng(2)
    y = 0.3 * rng.normal(size=(200, D)) + 1.0  # over-smoothed
    gv = np.array([1.0, 2.0, 0.5, 1.5])
    out = gmm_vc.gv_postfilter(y, gv)
    np.testing.assert_allclose(out.var(axis=0), gv, rtol=1e-6)
    np.testing.assert_allclose(out.mean(axis=0), y.mean(axis=0), atol=1e-9)
    np.testing.assert_allclose(gmm_vc.gv_postfilter(y, gv, weight=0.0), y)
    # the model's GV is the target speaker's per-utterance variance (B = A * SCALE: variance * SCALE^2)
    np.testing.assert_allclose(model.gv_b / model.gv_a, SCALE**2, rtol=1e-6)
    x = rng.normal(size=(100, D))
    np.testing.assert_allclose(model.convert(x, "A2B").var(axis=0), model.gv_b, rtol=1e-6)


def test_log_f0_transform_matches_the_target_statistics(model):
    rng = np.random.default_rng(3)
    f0 = _f0(rng, 220.0, 4000)
    out = model.convert_f0(f0, "A2B")
    assert np.all(out[f0 == 0] == 0) and np.all(out[f0 > 0] > 0)
    logs = np.log(out[out > 0])
    assert abs(logs.mean() - model.logf0_b[0]) < 0.01 and abs(np.exp(logs.mean()) - 110.0) < 3.0
    assert abs(logs.std() - model.logf0_b[1]) < 0.01


def test_save_load_round_trip(model, tmp_path):
    path = model.save(tmp_path / "gmm.npz")
    again = gmm_vc.JointGMM.load(path)
    x = np.random.default_rng(4).normal(size=(40, D))
    np.testing.assert_allclose(again.convert(x), model.convert(x))
    (tmp_path / "bad.npz").write_bytes(b"not a model")
    with pytest.raises(AudioGanError):
        gmm_vc.JointGMM.load(tmp_path / "bad.npz")


def test_bad_inputs_are_errors(model):
    with pytest.raises(AudioGanError):
        model.convert(np.zeros((10, D + 1)))
    with pytest.raises(AudioGanError):
        model.convert(np.zeros((10, D)), "X2Y")
    with pytest.raises(AudioGanError):
        pairs = [(np.zeros((5, D)), np.zeros((5, D)))]
        gmm_vc.JointGMM.fit(pairs, [(np.ones(5), np.ones(5))], n_components=4)
