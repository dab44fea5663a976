"""StarGAN-VC2 networks: shapes, speaker conditioning through CIN, the projection discriminator, registry."""

from __future__ import annotations

import pytest
import torch

from audiogan.errors import ConfigError
from audiogan.models import build
from audiogan.models.cyclegan_vc2 import count_parameters
from audiogan.models.stargan_vc2 import (
    ProjectionDiscriminator,
    SpeakerPairGenerator,
    StarGenerator2to1to2D,
    speaker_code,
)

TINY_G = dict(channels=8, down_channels=8, res_channels=8, res_hidden_channels=16, num_residual=2)
TINY_D = dict(channels=[8, 8, 16, 16])


def ids(*values: int) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.long)


@pytest.mark.parametrize("dims, frames", [(36, 128), (24, 37), (34, 5)])
def test_generator_keeps_shape(dims: int, frames: int) -> None:
    torch.manual_seed(0)
    g = StarGenerator2to1to2D(4, dims, **TINY_G).eval()
    x = torch.randn(2, dims, frames)
    y = g(x, ids(0, 1), ids(2, 3))
    assert y.shape == x.shape and torch.isfinite(y).all()


@pytest.mark.parametrize("condition, code_dim", [("pair", 8), ("target", 4)])
def test_cin_changes_the_output_with_the_speaker_code(condition: str, code_dim: int) -> None:
    torch.manual_seed(0)
    g = StarGenerator2to1to2D(4, 24, condition=condition, **TINY_G).eval()
    assert g.blocks[0].norm.cond_dim == code_dim and not hasattr(g, "residual")
    x = torch.randn(1, 24, 32).expand(3, -1, -1)  # one input, three speaker codes
    with torch.no_grad():
        y = g(x, ids(0, 0, 1), ids(1, 2, 2))
    assert not torch.allclose(y[0], y[1], atol=1e-4)  # another target
    if condition == "pair":
        assert not torch.allclose(y[1], y[2], atol=1e-4)  # same target, another source
    else:
        torch.testing.assert_close(y[1], y[2])  # the target alone conditions
    with torch.no_grad():  # batch elements are independent: the same code gives the same output
        torch.testing.assert_close(g(x[:1], ids(0), ids(1))[0], y[0], atol=1e-5, rtol=1e-5)


def test_speaker_code_is_source_then_target_one_hot() -> None:
    code = speaker_code(ids(2, 0), ids(1, 3), 4)
    assert code.tolist() == [[0, 0, 1, 0, 0, 1, 0, 0], [1, 0, 0, 0, 0, 0, 0, 1]]
    assert speaker_code(ids(2), ids(1), 4, "target").tolist() == [[0, 1, 0, 0]]


def test_projection_discriminator_scores_per_example_and_depends_on_the_pair() -> None:
    torch.manual_seed(0)
    d = ProjectionDiscriminator(3, **TINY_D).eval()
    x = torch.randn(1, 24, 64).expand(2, -1, -1)
    with torch.no_grad():
        same = d(x, ids(0, 0), ids(1, 1))
        other = d(x, ids(0, 1), ids(1, 2))
    assert same.shape == (2,)
    torch.testing.assert_close(same[0], same[1])
    assert abs(float(same[1] - other[1])) > 1e-4
    # the pair enters only through the projection: zero embeddings leave the unconditional logit
    with torch.no_grad():
        d.embed.weight.zero_()
        torch.testing.assert_close(d(x, ids(0, 0), ids(1, 1)), d(x, ids(0, 1), ids(1, 2)))


def test_mean_pooling_keeps_the_logit_scale_across_lengths() -> None:
    torch.manual_seed(0)
    d = ProjectionDiscriminator(2, pooling="mean", **TINY_D).eval()
    x = torch.randn(1, 24, 64)
    with torch.no_grad():
        torch.testing.assert_close(d(x, ids(0), ids(1)), d(x.repeat(1, 1, 2), ids(0), ids(1)), atol=0.05,
                                   rtol=0.05)


def test_speaker_pair_generator_is_a_one_argument_direction() -> None:
    g = StarGenerator2to1to2D(3, 24, **TINY_G).eval()
    x = torch.randn(2, 24, 40)
    with torch.no_grad():
        torch.testing.assert_close(SpeakerPairGenerator(g, 2, 0)(x), g(x, ids(2, 2), ids(0, 0)))


def test_bad_speakers_are_clear_errors() -> None:
    g = StarGenerator2to1to2D(3, 24, **TINY_G)
    with pytest.raises(ValueError, match="out of range 0..2"):
        g(torch.randn(1, 24, 16), ids(0), ids(3))
    with pytest.raises(ValueError, match=r"src LongTensor\[2\]"):
        g(torch.randn(2, 24, 16), ids(0), ids(1, 2))
    with pytest.raises(ValueError, match="at least 2 speakers"):
        StarGenerator2to1to2D(1, 24, **TINY_G)


def test_registry_builds_from_config_and_checks_speakers() -> None:
    cfg = {"model": {"feature_dim": 24, "speakers": ["SF1", "TM1", "SM1"],
                     "generator": {**TINY_G, "condition": "pair"},
                     "discriminator": {**TINY_D, "final_kernel": [1, 5], "pooling": "sum"}}}
    nets = build("stargan_vc2", cfg, discriminators=True)
    assert set(nets) == {"generator", "discriminator"} and nets["generator"].num_speakers == 3
    assert set(build("stargan_vc2", cfg)) == {"generator"}
    assert count_parameters(nets["generator"]) < 100_000
    cfg["model"]["speakers"] = ["SF1"]
    with pytest.raises(ConfigError, match="at least 2 speakers"):
        build("stargan_vc2", cfg)
    cfg["model"].update(speakers=["a", "b"], generator={**TINY_G, "condition": "source"})
    with pytest.raises(ConfigError, match="unknown condition"):
        build("stargan_vc2", cfg)
