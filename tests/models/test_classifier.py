"""The spectrogram CNN used for the Inception Score and NDB."""

import pytest
import torch

from audiogan.models.classifier import SpectrogramCNN


def test_logits_and_embeddings_shapes():
    torch.manual_seed(0)
    net = SpectrogramCNN(10, width=4).eval()
    x = torch.randn(3, 1, 16384) * 0.1
    assert net(x).shape == (3, 10)
    assert net.embed(x).shape == (3, 32) == (3, net.embedding_dim)


def test_other_clip_lengths_and_rates_work():
    net = SpectrogramCNN(3, sample_rate=8000, width=2).eval()
    assert net(torch.randn(2, 1, 8000)).shape == (2, 3)


def test_examples_are_independent_in_eval_mode():
    torch.manual_seed(0)
    net = SpectrogramCNN(4, width=2).eval()
    x = torch.randn(4, 1, 16384)
    assert torch.allclose(net(x)[:1], net(x[:1]), atol=1e-5)


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="at least 2 classes"):
        SpectrogramCNN(1)
    with pytest.raises(ValueError, match=r"\[B, C, T\]"):
        SpectrogramCNN(2, width=2)(torch.zeros(16384))
