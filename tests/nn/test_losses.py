"""audiogan.nn.losses: signs and optima of each GAN loss, penalties, clipping, feature matching."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from audiogan.errors import AudioGanError, ConfigError
from audiogan.nn.losses import (
    GAN_LOSSES,
    clip_weights,
    feature_matching_loss,
    get_gan_loss,
    gradient_penalty,
    hinge_d_loss,
    hinge_g_loss,
    lsgan_d_loss,
    lsgan_g_loss,
    ns_d_loss,
    ns_g_loss,
    r1_penalty,
    ragan_d_loss,
    ragan_g_loss,
    ralsgan_d_loss,
    ralsgan_g_loss,
    wgan_d_loss,
    wgan_g_loss,
)


def full(value: float, shape=(8, 1)) -> torch.Tensor:
    return torch.full(shape, float(value))


# -- every loss: scalar, finite, right direction ------------------------------------------------------
@pytest.mark.parametrize("name", sorted(GAN_LOSSES))
@pytest.mark.parametrize("shape", [(8, 1), (4, 1, 6, 5)])  # plain and PatchGAN logits
def test_loss_directions(name, shape):
    """D wants real logits up and fake logits down; G wants fake logits up.

    Logits lie in (0.1, 0.9): short of the LSGAN/hinge targets, where every loss is still active.
    """
    loss = get_gan_loss(name)
    real = (0.1 + 0.8 * torch.rand(shape)).requires_grad_(True)
    fake = (0.1 + 0.8 * torch.rand(shape)).requires_grad_(True)
    d = loss.d_loss(real, fake)
    assert d.dim() == 0 and torch.isfinite(d)
    g_real, g_fake = torch.autograd.grad(d, [real, fake])
    assert g_real.sum() < 0 and g_fake.sum() > 0
    g = loss.g_loss(fake, real) if loss.needs_real_for_g else loss.g_loss(fake)
    assert g.dim() == 0 and torch.isfinite(g)
    (gf,) = torch.autograd.grad(g, [fake])
    assert gf.sum() < 0


def test_registry_names():
    assert set(GAN_LOSSES) >= {"ns", "lsgan", "wgan", "wgan-gp", "hinge", "ragan", "ralsgan"}
    for name, loss in GAN_LOSSES.items():
        assert get_gan_loss(name) is loss and loss.name == name
    assert {n for n, loss in GAN_LOSSES.items() if loss.needs_real_for_g} == {"ragan", "ralsgan"}


def test_unknown_loss_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown GAN loss 'lsgn'.*lsgan") as e:
        get_gan_loss("lsgn")
    assert isinstance(e.value, AudioGanError) and "\n" not in str(e.value)


# -- non-saturating -------------------------------------------------------------------------------------
def test_ns_is_binary_cross_entropy_on_logits():
    real, fake = torch.randn(16, 1), torch.randn(16, 1)
    bce = F.binary_cross_entropy_with_logits
    expect = bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake))
    torch.testing.assert_close(ns_d_loss(real, fake), expect)
    torch.testing.assert_close(ns_g_loss(fake), F.softplus(-fake).mean())
    torch.testing.assert_close(ns_g_loss(fake), bce(fake, torch.ones_like(fake)))


def test_ns_generator_loss_does_not_saturate():
    """When D confidently rejects the fakes, -log D(G(z)) still gives G a gradient of about -1 per logit."""
    fake = full(-20.0, (1,)).requires_grad_(True)
    (g,) = torch.autograd.grad(ns_g_loss(fake), [fake])
    assert g.item() == pytest.approx(-1.0, abs=1e-6)
    minimax = -F.softplus(fake).mean()  # log(1 - D(G(z))) for comparison: vanishing gradient
    (gm,) = torch.autograd.grad(minimax, [fake])
    assert abs(gm.item()) < 1e-6


# -- least squares --------------------------------------------------------------------------------------
def test_lsgan_optimum():
    assert lsgan_d_loss(full(1), full(0)).item() == 0.0
    assert lsgan_g_loss(full(1)).item() == 0.0
    assert lsgan_d_loss(full(0), full(1)).item() == pytest.approx(1.0)  # 0.5 * 1 + 0.5 * 1
    # weight 1 as in segan_pytorch / CycleGAN-VC2 code; the paper's 1/2 is the task's loss.adv_weight
    assert lsgan_g_loss(full(0)).item() == pytest.approx(1.0)
    assert lsgan_d_loss(full(2), full(-1)).item() > 0  # overshooting the targets costs too


# -- Wasserstein ----------------------------------------------------------------------------------------
def test_wgan_is_a_difference_of_means():
    real, fake = torch.randn(16, 1), torch.randn(16, 1)
    torch.testing.assert_close(wgan_d_loss(real, fake), fake.mean() - real.mean())
    torch.testing.assert_close(wgan_g_loss(fake), -fake.mean())
    assert get_gan_loss("wgan-gp").d_loss is wgan_d_loss


# -- hinge ----------------------------------------------------------------------------------------------
def test_hinge_saturates_beyond_the_margin():
    real = torch.tensor([1.5, 3.0], requires_grad=True)
    fake = torch.tensor([-1.5, -4.0], requires_grad=True)
    d = hinge_d_loss(real, fake)
    assert d.item() == 0.0
    gr, gf = torch.autograd.grad(d, [real, fake])
    assert gr.abs().sum() == 0 and gf.abs().sum() == 0  # confident examples no longer push D
    assert hinge_d_loss(full(0), full(0)).item() == pytest.approx(2.0)
    assert hinge_d_loss(full(0.5), full(-0.5)).item() == pytest.approx(1.0)
    torch.testing.assert_close(hinge_g_loss(torch.tensor([1.0, 3.0])), torch.tensor(-2.0))


# -- relativistic ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("g_loss", [ragan_g_loss, ralsgan_g_loss])
def test_relativistic_generator_needs_real_logits(g_loss):
    with pytest.raises(ValueError, match="real logits"):
        g_loss(torch.randn(4, 1))


def test_relativistic_losses_compare_against_the_other_side():
    real, fake = torch.randn(16, 1) + 1, torch.randn(16, 1) - 1
    # G's loss is D's loss with the roles of real and fake swapped
    torch.testing.assert_close(ragan_g_loss(fake, real), ragan_d_loss(fake, real))
    torch.testing.assert_close(ralsgan_g_loss(fake, real), ralsgan_d_loss(fake, real))
    # only differences matter: shifting all logits changes nothing
    torch.testing.assert_close(ragan_d_loss(real + 5, fake + 5), ragan_d_loss(real, fake))
    # RaLSGAN optimum: real exceeds the mean fake by 1 and fake falls short of the mean real by 1
    assert ralsgan_d_loss(full(0.5), full(-0.5)).item() == 0.0
    assert ralsgan_g_loss(full(0.5), full(-0.5)).item() == 0.0
    bce = F.binary_cross_entropy_with_logits
    expect = bce(real - fake.mean(), torch.ones_like(real)) + bce(fake - real.mean(), torch.zeros_like(fake))
    torch.testing.assert_close(ragan_d_loss(real, fake), expect)


# -- penalties ------------------------------------------------------------------------------------------
class Linear(nn.Module):
    """D(x) = w . x (flattened), a critic whose input gradient is w everywhere."""

    def __init__(self, n: int):
        super().__init__()
        self.w = nn.Parameter(torch.randn(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1) @ self.w


@pytest.mark.parametrize("shape", [(6, 10), (6, 1, 12)])
def test_gradient_penalty_of_a_linear_critic(shape):
    critic = Linear(int(torch.tensor(shape[1:]).prod()))
    real, fake = torch.randn(shape), torch.randn(shape)
    gp = gradient_penalty(critic, real, fake)
    norm = critic.w.norm()
    torch.testing.assert_close(gp, (norm - 1) ** 2)
    torch.testing.assert_close(gradient_penalty(critic, real, fake, target=0.5), (norm - 0.5) ** 2)
    # it trains the critic (double backprop): d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||
    gp.backward()
    torch.testing.assert_close(critic.w.grad, (2 * (norm - 1) * critic.w / norm).detach())


def test_gradient_penalty_is_zero_for_a_unit_gradient_critic():
    critic = Linear(4)
    with torch.no_grad():
        critic.w.copy_(torch.tensor([0.6, 0.8, 0.0, 0.0]))
    gp = gradient_penalty(critic, torch.randn(5, 4), torch.randn(5, 4))
    assert gp.item() == pytest.approx(0.0, abs=1e-10)


def test_penalties_do_not_backprop_into_the_inputs():
    critic = Linear(4)
    real = torch.randn(5, 4, requires_grad=True)
    fake = torch.randn(5, 4, requires_grad=True)
    (gradient_penalty(critic, real, fake) + r1_penalty(critic, real)).backward()
    assert real.grad is None and fake.grad is None


@pytest.mark.parametrize("shape", [(6, 10), (6, 2, 5)])
def test_r1_of_a_linear_critic(shape):
    critic = Linear(10)
    r1 = r1_penalty(critic, torch.randn(shape))
    torch.testing.assert_close(r1, critic.w.pow(2).sum())
    r1.backward()
    torch.testing.assert_close(critic.w.grad, (2 * critic.w).detach())


def test_r1_of_a_nonlinear_critic_is_per_example():
    critic = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    x = torch.randn(4, 3)
    expect = []
    for i in range(4):
        xi = x[i:i + 1].clone().requires_grad_(True)
        (g,) = torch.autograd.grad(critic(xi).sum(), xi)
        expect.append(g.pow(2).sum())
    torch.testing.assert_close(r1_penalty(critic, x), torch.stack(expect).mean())


def test_clip_weights_bounds_every_parameter():
    net = nn.Sequential(nn.Conv1d(2, 4, 3), nn.Linear(5, 1))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn_like(p))
        small = net[0].weight.clone().clamp(-0.01, 0.01)
    clip_weights(net, 0.01)
    for p in net.parameters():
        assert p.abs().max() <= 0.01
    torch.testing.assert_close(net[0].weight, small)  # values inside the box are untouched
    clip_weights(net, 0.5)
    torch.testing.assert_close(net[0].weight, small)


# -- feature matching -----------------------------------------------------------------------------------
def test_feature_matching():
    feats = [torch.randn(2, 4, 16), torch.randn(2, 8, 4)]
    assert feature_matching_loss(feats, [f.clone() for f in feats]).item() == 0.0
    fake = [f + 1.0 for f in feats]
    assert feature_matching_loss(feats, fake).item() == pytest.approx(1.0)  # mean |1| per map


def test_feature_matching_trains_only_the_fake_side():
    real = [torch.randn(2, 4, 8, requires_grad=True)]
    fake = [torch.randn(2, 4, 8, requires_grad=True)]
    feature_matching_loss(real, fake).backward()
    assert real[0].grad is None and fake[0].grad.abs().sum() > 0


def test_feature_matching_errors():
    with pytest.raises(ValueError):
        feature_matching_loss([], [])
    with pytest.raises(ValueError):
        feature_matching_loss([torch.zeros(1, 2)], [torch.zeros(1, 2), torch.zeros(1, 2)])
    with pytest.raises(ValueError, match="differ"):
        feature_matching_loss([torch.zeros(2, 3, 4)], [torch.zeros(2, 3, 1)])
