"""User-facing errors. The CLI prints them as one line (`audiogan: error: ...`) and exits with code 2."""


class AudioGanError(Exception):
    """Base class of every error caused by user input (files, configs, checkpoints, arguments)."""


class AudioError(AudioGanError):
    """A missing, empty, corrupt or non-audio file, or audio with NaN/Inf samples."""


class ConfigError(AudioGanError):
    """An invalid configuration: unknown key, wrong type, bad override."""


class CheckpointError(AudioGanError):
    """A missing, corrupt or mismatched checkpoint."""


class DataDirError(AudioGanError):
    """A malformed Kaldi-style data directory."""
