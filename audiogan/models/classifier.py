"""A small log-mel CNN classifier, used to score generated audio (Inception Score, NDB features).

Like the WaveGAN paper's SC09 classifier it sees a fixed-length clip as a log-mel spectrogram and runs a
few conv + max-pool stages; its pooled penultimate activations are the embedding used for NDB.

``x: Tensor[B, 1, clip_len] -> logits: Tensor[B, n_classes]``; ``embed(x) -> Tensor[B, 8 * width]``.
"""

from __future__ import annotations

import torch
import torchaudio
from torch import Tensor, nn

from audiogan.nn.blocks import check_shape


class SpectrogramCNN(nn.Module):
    def __init__(
        self,
        n_classes: int,
        sample_rate: int = 16000,
        width: int = 16,
        n_mels: int = 64,
        n_fft: int = 1024,
        hop_length: int = 256,
        dropout: float = 0.2,
        freq_masks: int = 0,
        time_masks: int = 0,
    ):
        super().__init__()
        if n_classes < 2:
            raise ValueError(f"a classifier needs at least 2 classes, got {n_classes}")
        self.n_classes = n_classes
        # the filterbank is computed with .item() calls, which fail when inference builds the model on the
        # meta device; build it on the CPU (the checkpoint's buffers replace it anyway)
        with torch.device("cpu"):
            self.mel = torchaudio.transforms.MelSpectrogram(
                sample_rate, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, f_min=20.0
            )
        # SpecAugment (Park et al. 2019) in training mode only; parameter-free, so checkpoints are unchanged
        masks = [torchaudio.transforms.FrequencyMasking(8, iid_masks=True) for _ in range(freq_masks)]
        masks += [torchaudio.transforms.TimeMasking(8, iid_masks=True) for _ in range(time_masks)]
        self.spec_augment = nn.Sequential(*masks)
        self.input_norm = nn.BatchNorm2d(1)  # learns the log-mel scale, so no dataset statistics are needed
        chans = [1, width, 2 * width, 4 * width, 8 * width]
        stages = []
        for a, b in zip(chans[:-1], chans[1:]):
            stages += [
                nn.Conv2d(a, b, 3, padding=1, bias=False),
                nn.BatchNorm2d(b),
                nn.ReLU(),
                nn.Conv2d(b, b, 3, padding=1, bias=False),
                nn.BatchNorm2d(b),
                nn.ReLU(),
                nn.MaxPool2d(2, ceil_mode=True),
            ]
        self.stages = nn.Sequential(*stages)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(chans[-1], n_classes)
        self.embedding_dim = chans[-1]

    def features(self, x: Tensor) -> Tensor:
        """``Tensor[B, 1, T] -> Tensor[B, 1, n_mels, frames]`` log-mel."""
        check_shape(x, 3, "SpectrogramCNN", 1)
        with torch.autocast(x.device.type, enabled=False):  # the mel filterbank wants float32
            return torch.log(self.mel(x.float()) + 1e-6)

    def embed(self, x: Tensor) -> Tensor:
        """``Tensor[B, 1, T] -> Tensor[B, embedding_dim]`` (global average of the last conv stage)."""
        f = self.features(x)
        if self.training and len(self.spec_augment):
            f = self.spec_augment(f)
        h = self.stages(self.input_norm(f))
        return h.mean(dim=(2, 3))

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.dropout(self.embed(x)))
