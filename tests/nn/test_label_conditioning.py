"""Label embedding into the latent and the projection discriminator's class term."""

import pytest
import torch

from audiogan.nn.label_conditioning import ClassProjection, LabelToLatent, check_labels


def test_label_to_latent_joins_the_embedding():
    join = LabelToLatent(5, num_classes=3, embed_dim=2)
    z, y = torch.randn(4, 5), torch.tensor([0, 1, 2, 1])
    out = join(z, y)
    assert out.shape == (4, 7) and join.out_dim == 7
    assert torch.equal(out[:, :5], z) and torch.equal(out[1, 5:], out[3, 5:])
    plain = LabelToLatent(5)
    assert plain(z) is z and plain.out_dim == 5 and not list(plain.parameters())


def test_projection_is_the_inner_product_with_the_class_embedding():
    proj = ClassProjection(6, num_classes=3)
    h, y = torch.randn(2, 6), torch.tensor([2, 0])
    assert torch.equal(proj(h, y), torch.zeros(2))  # zero-initialised: D starts unconditional
    with torch.no_grad():
        proj.embed.weight.copy_(torch.arange(18.0).view(3, 6))
    assert torch.allclose(proj(h, y), (proj.embed.weight[y] * h).sum(1))
    assert torch.equal(ClassProjection(6)(h), torch.zeros(2))


def test_label_errors():
    check_labels(None, 3, 0, "G")
    with pytest.raises(ValueError, match="unconditional"):
        check_labels(torch.zeros(3, dtype=torch.long), 3, 0, "G")
    with pytest.raises(ValueError, match="conditional on 2 classes"):
        check_labels(None, 3, 2, "G")
    with pytest.raises(ValueError, match=r"Tensor\[3\]"):
        check_labels(torch.zeros(2, dtype=torch.long), 3, 2, "G")
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        check_labels(torch.tensor([0, 1, 2]), 3, 2, "G")
