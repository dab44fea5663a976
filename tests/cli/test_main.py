"""The `audiogan` command frame: subcommands, --version, user errors as one stderr line and exit code 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

import audiogan
import audiogan.cli.train as train_cmd
from audiogan.cli import SUBCOMMANDS, main
from audiogan.errors import AudioError, AudioGanError, CheckpointError, ConfigError, DataDirError

ROOT = Path(__file__).resolve().parents[2]
SUBCOMMAND_NAMES = ["train", "denoise", "convert", "generate", "score", "prepare", "models", "export",
                    "report", "features", "data", "cache"]


def run_cli(*args: str, cwd: Path | None = None, code: str | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m audiogan ARGS`` (or a ``python -c CODE`` driver) in a fresh process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "audiogan", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def assert_one_line_error(proc_or_err, rc: int | None = None) -> str:
    err = proc_or_err if isinstance(proc_or_err, str) else proc_or_err.stderr
    if rc is not None:
        assert rc == 2
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("audiogan: error: "), err
    return lines[0]


# -- help and version ---------------------------------------------------------------------------------
def test_help_lists_every_subcommand():
    proc = run_cli("--help")
    assert proc.returncode == 0
    for name in SUBCOMMAND_NAMES:
        assert f"    {name} " in proc.stdout
    assert list(SUBCOMMANDS) == SUBCOMMAND_NAMES


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"audiogan {audiogan.__version__}"


def test_console_script_matches_python_m():
    """The README installs the package with pip; its `audiogan` script runs audiogan.cli:main of this
    version (a stale install would shadow the checkout)."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution("audiogan")
    except PackageNotFoundError:
        pytest.fail("audiogan is not pip-installed: pip install -e '.[dev]', as the README says")
    assert dist.version == audiogan.__version__
    (ep,) = [e for e in dist.entry_points if e.group == "console_scripts" and e.name == "audiogan"]
    assert ep.value == "audiogan.cli:main" and ep.load() is main
    user = sysconfig.get_path("scripts", f"{os.name}_user")
    where = [sysconfig.get_path("scripts"), user, os.environ.get("PATH", "")]
    exe = shutil.which("audiogan", path=os.pathsep.join(where))
    assert exe is not None, f"no audiogan script in {where[:2]} or on PATH"
    proc = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == f"audiogan {audiogan.__version__}"


@pytest.mark.parametrize("name", SUBCOMMAND_NAMES)
def test_each_subcommand_has_help(name, capsys):
    with pytest.raises(SystemExit) as e:
        main([name, "--help"])
    assert e.value.code == 0
    assert f"usage: audiogan {name}" in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [(["dance"], "invalid choice"), (["--frobnicate"], "unrecognized")])
def test_argparse_errors_exit_2(argv, words, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "audiogan: error: " in err and words in err


# -- user errors inside subcommands -----------------------------------------------------------------
@pytest.mark.parametrize("exc", [AudioError, ConfigError, CheckpointError, DataDirError, AudioGanError])
def test_user_error_in_subcommand_is_one_line_exit_2(exc, monkeypatch, capsys):
    def boom(args):
        raise exc("x.wav: something is wrong\nsecond line that must not be shown")

    monkeypatch.setattr(train_cmd, "run", boom)
    rc = main(["train", "toy", "--outdir", "unused"])
    out, err = capsys.readouterr()
    assert rc == 2 and out == ""
    assert err == "audiogan: error: x.wav: something is wrong\n"


def test_real_audio_error_from_load(monkeypatch, capsys, tmp_path):
    from audiogan.audio import load

    (tmp_path / "notes.wav").write_text("not audio")
    monkeypatch.setattr(train_cmd, "run", lambda args: load(tmp_path / "notes.wav"))
    rc = main(["train", "toy", "--outdir", "unused"])
    line = assert_one_line_error(capsys.readouterr().err, rc)
    assert "notes.wav: not a readable audio file" in line


def test_keyboard_interrupt_exits_130(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_cmd, "run", interrupted)
    assert main(["train", "toy", "--outdir", "unused"]) == 130
    assert capsys.readouterr().err == "audiogan: interrupted\n"


def test_subcommand_return_code_is_passed_on(monkeypatch):
    monkeypatch.setattr(train_cmd, "run", lambda args: 3)
    assert main(["train", "toy", "--outdir", "unused"]) == 3
    monkeypatch.setattr(train_cmd, "run", lambda args: None)
    assert main(["train", "toy", "--outdir", "unused"]) == 0


# -- the same in a fresh process: no traceback reaches the terminal ------------------------------------
BAD_AUDIO_DRIVER = textwrap.dedent("""
    import sys
    import audiogan.cli.train as t
    from audiogan.audio import load
    from audiogan.cli import main
    for path in sys.argv[1:]:
        t.run = lambda args, path=path: load(path)
        print(main(["train", "toy", "--outdir", "unused"]))
""")


def test_audio_errors_in_a_subprocess(tmp_path):
    """Missing, empty, text and NaN files: one stderr line each, exit code 2, no traceback."""
    import numpy as np
    import soundfile as sf

    (tmp_path / "empty.wav").touch()
    (tmp_path / "text.wav").write_text("hello\n" * 50)
    x = np.zeros(1600, np.float32)
    x[7] = np.nan
    sf.write(tmp_path / "nan.wav", x, 16000, subtype="FLOAT")
    names = ["missing.wav", "empty.wav", "text.wav", "nan.wav"]
    proc = run_cli(*[str(tmp_path / n) for n in names], code=BAD_AUDIO_DRIVER)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["2"] * len(names)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == len(names)
    for name, line in zip(names, lines):
        assert line.startswith(f"audiogan: error: {tmp_path / name}: ")


def test_unknown_config_key_via_the_real_cli(tmp_path):
    proc = run_cli("train", "toy", "--outdir", str(tmp_path / "X"), "trainer.bogus=1")
    assert proc.returncode == 2
    assert assert_one_line_error(proc) == "audiogan: error: unknown config key 'trainer.bogus'"
    assert not (tmp_path / "X").exists()


def test_missing_config_file(tmp_path, capsys):
    rc = main(["train", "toy", "--config", str(tmp_path / "nope.yaml"), "--outdir", str(tmp_path / "X")])
    assert "nope.yaml: no such config file" in assert_one_line_error(capsys.readouterr().err, rc)


def test_unknown_model_via_the_real_cli(tmp_path):
    proc = run_cli("train", "nosuchmodel", "--outdir", str(tmp_path / "X"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "audiogan: error: " in proc.stderr
