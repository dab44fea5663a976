"""audiogan.config: YAML configs validated against defaults, command-line overrides, saving."""

from __future__ import annotations

import os
import stat

import pytest
import yaml

from audiogan.config import (
    apply_overrides,
    diff_keys,
    dump_yaml,
    load_config,
    merge,
    parse_override,
    read_yaml,
    save_config,
)
from audiogan.errors import AudioGanError, ConfigError

DEFAULTS = {
    "task": "demo",
    "model": {"channels": 16, "norm": "instance", "layers": [16, 32]},
    "data": {"speaker": "SF1", "noise_dir": None, "rate": 16000},
    "trainer": {"max_steps": 1000, "lr": 2e-4, "amp": False, "device": "auto"},
    "optim": {"generator": {"lr": 2e-4, "betas": [0.5, 0.999]}},
}


def write(tmp_path, text: str, name: str = "c.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


# -- files ---------------------------------------------------------------------------------------------
def test_defaults_only_is_a_copy():
    cfg = load_config(DEFAULTS)
    assert cfg == DEFAULTS
    cfg["model"]["layers"].append(64)
    assert DEFAULTS["model"]["layers"] == [16, 32]


def test_yaml_file_overrides_defaults_and_keeps_the_rest(tmp_path):
    p = write(tmp_path, "trainer:\n  max_steps: 50\n  lr: 1e-3\nmodel:\n  layers: [8, 8, 8]\n")
    cfg = load_config(DEFAULTS, p)
    assert cfg["trainer"] == {"max_steps": 50, "lr": 1e-3, "amp": False, "device": "auto"}
    assert cfg["model"]["layers"] == [8, 8, 8] and cfg["model"]["channels"] == 16


def test_numbers_are_coerced_to_the_defaults_type(tmp_path):
    # YAML 1.1 reads '1e-4' (no dot) as a string; an integer-valued float is fine for an int key
    p = write(tmp_path, "trainer:\n  lr: 1e-4\n  max_steps: 2.0e3\noptim:\n  generator:\n    lr: 1\n")
    cfg = load_config(DEFAULTS, p)
    assert cfg["trainer"]["lr"] == pytest.approx(1e-4) and isinstance(cfg["trainer"]["lr"], float)
    assert cfg["trainer"]["max_steps"] == 2000 and isinstance(cfg["trainer"]["max_steps"], int)
    assert cfg["optim"]["generator"]["lr"] == 1.0 and isinstance(cfg["optim"]["generator"]["lr"], float)


def test_empty_file_and_empty_section_give_defaults(tmp_path):
    assert load_config(DEFAULTS, write(tmp_path, "")) == DEFAULTS
    assert load_config(DEFAULTS, write(tmp_path, "trainer:\n")) == DEFAULTS


@pytest.mark.parametrize(
    "text, key, hint",
    [
        ("trainr:\n  max_steps: 1\n", "trainr", "trainer"),
        ("trainer:\n  max_stpes: 1\n", "trainer.max_stpes", "trainer.max_steps"),
        ("optim:\n  generator:\n    betass: [0.5, 0.9]\n", "optim.generator.betass", "optim.generator.betas"),
        ("data:\n  zzz: 1\n", "data.zzz", None),
    ],
)
def test_unknown_key_is_an_error_naming_it(tmp_path, text, key, hint):
    with pytest.raises(ConfigError) as e:
        load_config(DEFAULTS, write(tmp_path, text))
    msg = str(e.value)
    assert msg.startswith(f"unknown config key '{key}'") and "\n" not in msg
    if hint:
        assert f"did you mean '{hint}'" in msg
    else:
        assert "did you mean" not in msg
    assert isinstance(e.value, AudioGanError)


@pytest.mark.parametrize(
    "user, words",
    [
        ({"trainer": {"amp": 1}}, "'trainer.amp' must be true or false"),
        ({"trainer": {"max_steps": 1.5}}, "'trainer.max_steps' must be an integer"),
        ({"trainer": {"max_steps": "many"}}, "'trainer.max_steps' must be an integer"),
        ({"trainer": {"max_steps": True}}, "'trainer.max_steps' must be an integer"),
        ({"trainer": {"lr": "fast"}}, "'trainer.lr' must be a number"),
        ({"trainer": {"lr": [1]}}, "'trainer.lr' must be a number"),
        ({"model": {"norm": 3}}, "'model.norm' must be a string"),
        ({"model": {"layers": 16}}, "'model.layers' must be a list"),
        ({"trainer": 5}, "section 'trainer' must be a mapping"),
    ],
)
def test_wrong_types_are_errors(user, words):
    with pytest.raises(ConfigError, match=words):
        merge(DEFAULTS, user)


def test_null_default_accepts_any_value_and_null_is_allowed():
    cfg = merge(DEFAULTS, {"data": {"noise_dir": "/noise"}, "model": {"norm": None}})
    assert cfg["data"]["noise_dir"] == "/noise" and cfg["model"]["norm"] is None


@pytest.mark.parametrize(
    "text, words",
    [
        ("trainer: [1, 2\n", "invalid YAML at line"),
        ("- a\n- b\n", "mapping at the top level"),
    ],
)
def test_bad_yaml_files(tmp_path, text, words):
    with pytest.raises(ConfigError, match=words):
        read_yaml(write(tmp_path, text))


def test_missing_and_binary_config_files(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(DEFAULTS, tmp_path / "nope.yaml")
    (tmp_path / "model.pt").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ConfigError, match="not a text"):
        load_config(DEFAULTS, tmp_path / "model.pt")


# -- overrides -----------------------------------------------------------------------------------------
def test_parse_override():
    assert parse_override("trainer.max_steps=100") == (["trainer", "max_steps"], 100)
    assert parse_override("model.layers=[1, 2]") == (["model", "layers"], [1, 2])
    assert parse_override("data.noise_dir=a=b") == (["data", "noise_dir"], "a=b")
    assert parse_override("data.noise_dir=") == (["data", "noise_dir"], "")
    for bad in ["trainer.max_steps", "trainer..x=1", "=3"]:
        with pytest.raises(ConfigError):
            parse_override(bad)


def test_overrides_are_typed_and_validated(tmp_path):
    p = write(tmp_path, "trainer:\n  max_steps: 50\n")
    cfg = load_config(DEFAULTS, p, ["trainer.max_steps=7", "trainer.lr=1e-4", "trainer.amp=true",
                                    "optim.generator.betas=[0.0, 0.9]", "data.noise_dir=/tmp/n"])
    assert cfg["trainer"] == {"max_steps": 7, "lr": 1e-4, "amp": True, "device": "auto"}  # CLI beats file
    assert cfg["optim"]["generator"]["betas"] == [0.0, 0.9]
    assert cfg["data"]["noise_dir"] == "/tmp/n"
    with pytest.raises(ConfigError, match="unknown config key 'trainer.bogus'"):
        apply_overrides(DEFAULTS, ["trainer.bogus=1"])
    with pytest.raises(ConfigError, match="must be an integer"):
        apply_overrides(DEFAULTS, ["trainer.max_steps=lots"])
    with pytest.raises(ConfigError, match="must be a mapping"):
        apply_overrides(DEFAULTS, ["trainer=3"])


def test_string_override_keeps_its_text():
    """`data.speaker=001` is the speaker '001', not the number 1 (nor `on` a boolean)."""
    cfg = apply_overrides(DEFAULTS, ["data.speaker=001", "model.norm=on"])
    assert cfg["data"]["speaker"] == "001" and cfg["model"]["norm"] == "on"


def test_last_override_wins_and_conflicts_are_errors():
    cfg = apply_overrides(DEFAULTS, ["trainer.max_steps=1", "trainer.max_steps=2"])
    assert cfg["trainer"]["max_steps"] == 2
    with pytest.raises(ConfigError, match="conflicts"):
        apply_overrides(DEFAULTS, ["trainer.max_steps=1", "trainer.max_steps.x=2"])


# -- saving ---------------------------------------------------------------------------------------------
def test_saved_resolved_config_round_trips(tmp_path):
    cfg = load_config(DEFAULTS, None, ["trainer.lr=1e-5", "data.speaker=007", "model.layers=[4, 8]"])
    old = os.umask(0o022)
    try:
        path = save_config(cfg, tmp_path / "exp" / "config.yaml")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.yaml"]  # no temp file left
    again = load_config(DEFAULTS, path)
    assert again == cfg and diff_keys(again, cfg) == []
    save_config(again, path)  # replacing works too
    assert load_config(DEFAULTS, path) == cfg


def test_dump_yaml_writes_plain_yaml():
    text = dump_yaml({"a": (1, 2), "b": {"c": None}})
    assert yaml.safe_load(text) == {"a": [1, 2], "b": {"c": None}}


def test_diff_keys():
    other = apply_overrides(DEFAULTS, ["trainer.lr=0.1", "optim.generator.betas=[0, 1]"])
    assert diff_keys(DEFAULTS, other) == ["optim.generator.betas", "trainer.lr"]


# -- through the CLI -------------------------------------------------------------------------------------
def test_cli_unknown_override_is_one_line_exit_2(tmp_path, capsys):
    from audiogan.cli import main

    rc = main(["train", "toy", "--outdir", str(tmp_path / "x"), "trainer.bogus=1"])
    out, err = capsys.readouterr()
    assert rc == 2 and out == ""
    assert err.startswith("audiogan: error: unknown config key 'trainer.bogus'") and err.count("\n") == 1
    assert not (tmp_path / "x").exists()  # nothing was started


def test_cli_print_config_applies_file_and_overrides(tmp_path, capsys):
    from audiogan.cli import main

    p = write(tmp_path, "trainer:\n  max_steps: 12\n")
    rc = main(["train", "toy", "-c", str(p), "--outdir", str(tmp_path / "x"), "--print-config",
               "trainer.batch_size=4", "loss.name=hinge"])
    out, err = capsys.readouterr()
    assert rc == 0 and err == ""
    cfg = yaml.safe_load(out)
    assert cfg["task"] == "toy"
    assert cfg["trainer"]["max_steps"] == 12 and cfg["trainer"]["batch_size"] == 4
    assert cfg["loss"]["name"] == "hinge"
    assert not (tmp_path / "x").exists()
    assert main(["train", "toy", "--print-config"]) == 0  # no --outdir needed just to look
    assert yaml.safe_load(capsys.readouterr().out)["task"] == "toy"
    assert main(["train", "toy"]) == 2
    assert "--outdir is required to train" in capsys.readouterr().err


def test_cli_bad_config_file_is_one_line(tmp_path, capsys):
    from audiogan.cli import main

    p = write(tmp_path, "trainer:\n  max_stpes: 12\n")
    rc = main(["train", "toy", "-c", str(p), "--outdir", str(tmp_path / "x"), "--print-config"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err == ("audiogan: error: unknown config key 'trainer.max_stpes' "
                   "(did you mean 'trainer.max_steps'?)\n")


def test_an_untyped_key_set_in_the_file_takes_the_overrides_type(tmp_path):
    """trainer.max_minutes has no typed default: 150 in a file and 2.5 on the command line both work."""
    from audiogan.tasks.toy import ToyGANTask

    conf = tmp_path / "c.yaml"
    conf.write_text("trainer:\n  max_minutes: 150\n")
    assert load_config(ToyGANTask.default_config(), conf)["trainer"]["max_minutes"] == 150
    got = load_config(ToyGANTask.default_config(), conf, ["trainer.max_minutes=2.5"])
    assert got["trainer"]["max_minutes"] == 2.5
    with pytest.raises(ConfigError, match="max_steps.*integer"):
        load_config(ToyGANTask.default_config(), conf, ["trainer.max_steps=2.5"])
