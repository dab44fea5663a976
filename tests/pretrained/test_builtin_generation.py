"""The built-in word classifier and WaveGAN: they load from the package and work without -m/--classifier."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf

from audiogan.audio import find_audio_files
from audiogan.cli import main
from audiogan.metrics.generation import load_classifier, load_folder
from audiogan.pretrained import BUILTINS, DEFAULTS, resolve_model

WORDS = Path(__file__).resolve().parents[2] / "examples" / "words"


def test_the_default_classifier_ships_and_recognises_the_bundled_words():
    assert DEFAULTS["classifier"] in BUILTINS, "the built-in word classifier is missing"
    clf = load_classifier(resolve_model(None, "classifier"))
    files = find_audio_files([WORDS])
    assert len(files) == 4
    probs = clf.probabilities(load_folder(clf, files))
    assert [clf.labels[i] for i in probs.argmax(1)] == [f.stem for f in files]


def test_score_generation_without_classifier_uses_the_builtin(capsys):
    assert main(["score", "generation", "--samples", str(WORDS), "--splits", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["classifier"] == f"builtin:{DEFAULTS['classifier']}"
    counts = result["generated"]["predicted_labels"]
    assert {k for k, v in counts.items() if v} == {"go", "left", "stop", "yes"}
    assert result["generated"]["inception_score"] > 3.0  # four confident, different words: close to 4


def test_generate_without_model_uses_the_builtin_and_is_seeded(tmp_path, capsys):
    assert DEFAULTS["generate"] in BUILTINS, "the default generator is missing"
    for name in ("a", "b"):
        assert main(["generate", "-n", "4", "-o", str(tmp_path / name), "--seed", "3",
                     "--grid", str(tmp_path / f"{name}.png")]) == 0
    capsys.readouterr()
    a = [sf.read(p)[0] for p in sorted((tmp_path / "a").glob("*.wav"))]
    b = [sf.read(p)[0] for p in sorted((tmp_path / "b").glob("*.wav"))]
    assert len(a) == 4 and all(np.array_equal(x, y) for x, y in zip(a, b))
    assert all(x.shape == (16384,) and 0.003 < np.sqrt(np.mean(x**2)) < 0.5 for x in a)  # not silence
    assert (tmp_path / "a.png").is_file()


def test_a_balanced_word_folder_of_real_clips_scores_close_to_the_number_of_words(tmp_path, capsys):
    # issue 23: read in sorted order the clips are grouped by word; contiguous IS splits then held one or
    # two words each and real speech scored ~1-2 while the classifier got every clip right
    for f in find_audio_files([WORDS]):
        x, sr = sf.read(f, dtype="float32")
        (tmp_path / f.stem).mkdir()
        for k, gain in enumerate(np.linspace(1.0, 0.4, 10)):
            sf.write(tmp_path / f.stem / f"{k}.flac", x * gain, sr)
    assert main(["score", "generation", "--samples", str(tmp_path), "--splits", "2", "--json"]) == 0
    gen = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["generated"]
    assert gen["requested_word_accuracy"] == 1.0  # the classifier is right on every clip ...
    assert 3.5 < gen["inception_score"] <= 4.0  # ... and confident: the IS is close to the 4 words


def test_the_default_generator_says_the_requested_word(tmp_path, capsys):
    # issue 21's "done when": `audiogan generate --word yes -n 8 --grid g.png` gives clips a listener
    # recognises; the built-in classifier stands in for the listener (it hears 99 % of the card's "yes")
    assert main(["generate", "--word", "yes", "-n", "4", "-o", str(tmp_path / "out"), "--seed", "1",
                 "--grid", str(tmp_path / "g.png")]) == 0
    files = sorted((tmp_path / "out" / "yes").glob("*.wav"))
    assert len(files) == 4 and (tmp_path / "g.png").is_file()
    clf = load_classifier(resolve_model(None, "classifier"))
    probs = clf.probabilities(load_folder(clf, files))
    assert [clf.labels[i] for i in probs.argmax(1)] == ["yes"] * 4


def test_word_on_the_unconditional_builtin_is_a_one_line_error(tmp_path, capsys):
    assert main(["generate", "-m", "builtin:wavegan-sc10-cpu", "--word", "yes", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("audiogan: error: --word yes") and "unconditional" in err[0]
