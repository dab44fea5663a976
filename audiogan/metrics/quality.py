"""Reference-free speech quality: DNSMOS P.835 (Reddy et al., ICASSP 2022) through the ``speechmos`` package.

DNSMOS predicts the three ITU-T P.835 ratings of a noisy or enhanced speech clip without a clean
reference, each a MOS on 1…5 (higher is better):

- ``sig``: speech signal quality (distortion of the speech itself),
- ``bak``: background noise (5: not noticeable, 1: very intrusive),
- ``ovrl``: overall quality,

plus ``p808``, the overall MOS of the older DNSMOS P.808 model. The ONNX models ship in the ``speechmos``
wheel (nothing is downloaded). They take 16 kHz mono audio: other rates are resampled and channels are
averaged first. Clips are scored over 9.01 s windows with 1 s hops; shorter clips are repeated to 9.01 s,
exactly as Microsoft's ``dnsmos_local.py`` (and ``speechmos``) do.

``speechmos`` and ``onnxruntime`` are imported only on first use, so importing this module stays cheap.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from audiogan.errors import AudioError, AudioGanError

DNSMOS_RATE = 16000
DNSMOS_KEYS: tuple[str, ...] = ("sig", "bak", "ovrl", "p808")
DNSMOS_TITLES: dict[str, str] = {"sig": "SIG", "bak": "BAK", "ovrl": "OVRL", "p808": "P808"}
_MISSING = "DNSMOS needs the 'speechmos' and 'onnxruntime' packages (pip install '.[eval]')"


@functools.lru_cache(maxsize=1)
def dnsmos_available() -> bool:
    """Whether ``speechmos`` and ``onnxruntime`` can be imported (the result is cached)."""
    try:
        import onnxruntime  # noqa: F401
        import speechmos.dnsmos  # noqa: F401
    except ImportError:
        return False
    return True


def require_dnsmos() -> None:
    """Raise :class:`AudioGanError` (one line) unless :func:`dnsmos_available`."""
    if not dnsmos_available():
        raise AudioGanError(_MISSING)


@functools.lru_cache(maxsize=4)
def _model(threads: int):
    """The DNSMOS P.835 + P.808 ONNX sessions of ``speechmos``, on the CPU with ``threads`` intra-op threads.

    ``speechmos.dnsmos.run`` builds its sessions with onnxruntime's default of one thread per core, so
    ``--jobs`` worker processes would oversubscribe the CPU; this builds the same :class:`DNSMOS` object
    (same model files, same scoring code) with an explicit thread count.
    """
    require_dnsmos()
    import onnxruntime as ort
    import speechmos.dnsmos as sd

    models = os.path.join(os.path.dirname(os.path.abspath(sd.__file__)), "dnsmos_models")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1

    class _Dnsmos(sd.DNSMOS):
        def __init__(self, primary_model_path: str, p808_model_path: str) -> None:
            cpu = ["CPUExecutionProvider"]
            self.primary_model_path = primary_model_path
            self.onnx_sess = ort.InferenceSession(primary_model_path, opts, providers=cpu)
            self.p808_onnx_sess = ort.InferenceSession(p808_model_path, opts, providers=cpu)

    try:
        return _Dnsmos(os.path.join(models, "sig_bak_ovr.onnx"), os.path.join(models, "model_v8.onnx"))
    except Exception as e:  # a broken install: model files missing or unreadable
        why = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise AudioGanError(f"cannot load the DNSMOS models of speechmos ({why})") from None


def prepare(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """The signal DNSMOS scores: ``x: ndarray[T]`` or ``[C, T]`` at ``sample_rate`` -> ``ndarray[T']`` at 16k.

    Channels are averaged, the rate is converted (torchaudio, via :func:`audiogan.audio.resample`), and a
    signal whose peak exceeds 1 (float files, resampling overshoot) is scaled down to peak 1, since the
    models take samples in [-1, 1].
    """
    from audiogan.audio import resample, to_mono

    a = np.asarray(x, dtype=np.float32)
    if a.ndim == 1:
        a = a[None]
    if a.ndim != 2 or a.shape[-1] == 0:
        raise AudioError(f"DNSMOS: expected a non-empty signal of shape [T] or [C, T], got {a.shape}")
    if not np.isfinite(a).all():
        raise AudioError("DNSMOS: the signal contains NaN or Inf samples")
    y = np.asarray(resample(to_mono(a), int(sample_rate), DNSMOS_RATE), dtype=np.float32)[0]
    peak = float(np.max(np.abs(y)))
    return y / peak if peak > 1.0 else y


def dnsmos(x: np.ndarray, sample_rate: int, *, threads: int | None = None) -> dict[str, float]:
    """DNSMOS P.835 of one clip: ``x: ndarray[T]`` or ``[C, T]`` at any rate (see :func:`prepare`).

    Returns ``{"sig", "bak", "ovrl", "p808"}`` MOS values (1…5, higher is better). ``threads`` is the
    number of onnxruntime threads (default: ``torch.get_num_threads()``, i.e. 1 in worker processes).
    Raises :class:`AudioGanError` when ``speechmos``/``onnxruntime`` are not installed and
    :class:`AudioError` for empty signals or NaN/Inf samples.
    """
    require_dnsmos()
    y = prepare(x, sample_rate)
    if threads is None:
        import torch

        threads = torch.get_num_threads()
    scores = _model(max(1, int(threads)))(y, DNSMOS_RATE, False)
    return {k: float(scores[f"{k}_mos"]) for k in DNSMOS_KEYS}
