"""`audiogan report`: a self-contained listening page, checked in a real browser (headless Chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiogan.cli import main

SR = 16000


def _tone(f: float, seconds: float = 0.5, seed: int = 0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    noise = 0.01 * np.random.default_rng(seed).standard_normal(t.size)
    return (0.2 * np.sin(2 * np.pi * f * t) + noise).astype(np.float32)


@pytest.fixture
def experiment(tmp_path) -> Path:
    exp = tmp_path / "exp"
    exp.mkdir()
    (exp / "RESULTS.md").write_text("# Results\n\n| system | PESQ |\n|---|---:|\n| model | 2.5 |\n")
    for system, f in (("noisy", 300.0), ("model", 440.0)):
        d = tmp_path / system
        d.mkdir()
        for i in range(5):
            sf.write(d / f"utt{i}.wav", _tone(f, seed=i), SR)
    # the clean speech as a data dir's .scp, FLAC files
    clean = tmp_path / "data"
    (clean / "audio").mkdir(parents=True)
    lines = []
    for i in range(5):
        sf.write(clean / "audio" / f"utt{i}.flac", _tone(500.0, seed=i), SR)
        lines.append(f"utt{i} {clean / 'audio' / f'utt{i}.flac'}\n")
    (clean / "spk1.scp").write_text("".join(lines))
    return exp


def _report(exp: Path, *extra: str) -> int:
    root = exp.parent
    systems = [f"noisy={root / 'noisy'}", f"model={root / 'model'}", f"clean={root / 'data' / 'spk1.scp'}"]
    return main(["report", str(exp), *[a for s in systems for a in ("--system", s)], "-n", "3", *extra])


def test_page_is_self_contained_with_relative_links(experiment, capsys):
    assert _report(experiment) == 0
    page = experiment / "report" / "index.html"
    text = page.read_text()
    assert "<td>2.5</td>" in text.replace('<td style="text-align: right;">2.5</td>', "<td>2.5</td>")
    links = re.findall(r'(?:src|href)="([^"]+)"', text)
    assert len(links) == 3 * 3 * 2  # 3 utterances x 3 systems x (player + spectrogram)
    for link in links:
        assert not link.startswith(("/", "http:", "https:", "file:")) and ".." not in link
        assert (page.parent / link).is_file(), link
    assert "http://" not in text and "https://" not in text  # nothing fetched from the network
    rows = re.findall(r'<td class="key">(utt\d)</td>', text)
    assert len(rows) == 3 and rows == sorted(rows)
    # the same seed picks the same utterances; the report folder is replaced, not mixed
    assert _report(experiment) == 0
    assert re.findall(r'<td class="key">(utt\d)</td>', page.read_text()) == rows
    assert _report(experiment, "--seed", "5") == 0
    assert len(list((experiment / "report" / "audio" / "model").iterdir())) == 3
    assert "report:" in capsys.readouterr().err


def test_bad_arguments_are_one_line_errors(experiment, tmp_path, capsys):
    user = tmp_path / "mine"
    user.mkdir()
    assert _report(experiment, "-o", str(user)) == 2  # never replaces a folder it did not write
    assert "not a report written by audiogan" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # argparse's own check: usage line + one error line
        main(["report", str(experiment), "--system", "oops"])
    assert exit_info.value.code == 2
    assert main(["report", str(experiment), "--system", f"x={tmp_path / 'nope'}"]) == 2
    err = capsys.readouterr().err
    assert "LABEL=PATH" in err and "not a folder" in err and "Traceback" not in err


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        if path := shutil.which(name):
            return path
    return None


def _media_state(browser: str, page: Path) -> str:
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000", "--dump-dom"]
    proc = subprocess.run([browser, *args, page.as_uri()], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    m = re.search(r'<body[^>]*data-media="([^"]*)"', proc.stdout)
    assert m, "the page's check never finished: " + proc.stdout[:500]
    return m.group(1)


def test_page_renders_in_headless_chromium_with_every_player_and_picture(experiment):
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium installed (.ci/run installs the Debian package `chromium`)")
    from audiogan.plots import save_spectrograms

    grid = save_spectrograms([_tone(440.0)], SR, experiment.parent / "grid.png")
    assert _report(experiment, "--image", f"a sample grid={grid}") == 0
    page = experiment / "report" / "index.html"
    assert _media_state(browser, page) == "ok 19"  # 9 players, 9 spectrograms, 1 picture
    next((page.parent / "audio" / "clean").iterdir()).unlink()  # a player whose file is gone
    assert _media_state(browser, page).startswith("broken 1: audio/clean/")
