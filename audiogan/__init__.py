"""audiogan: GAN-based speech processing (SEGAN, CycleGAN-VC2, WaveGAN) with Kaldi-style recipes."""

__version__ = "0.1.0"
