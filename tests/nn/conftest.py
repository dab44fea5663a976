"""Fixtures of the layer and loss tests."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same torch RNG state."""
    torch.manual_seed(0)
