"""YAML configs validated against defaults.

A config is a nested dict. Its schema is the task's default config: every key a user writes must exist
there (an unknown key is an error naming it, with a suggestion), and values keep the default's type.
Command-line overrides are ``section.key=value`` with the value parsed as YAML.
"""

from __future__ import annotations

import copy
import difflib
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from audiogan.errors import ConfigError

# Sections whose keys are free-form (e.g. per-network optimizer settings keyed by group name are still
# validated one level down). Keep empty unless a section really has user-defined keys.
FREE_FORM: set[str] = set()


def _type_name(v: Any) -> str:
    return "null" if v is None else type(v).__name__


def _number(value: Any) -> float | None:
    """``'1e-4'`` -> 1e-4: YAML 1.1 (PyYAML) reads exponents without a dot as strings."""
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _coerce(value: Any, default: Any, where: str) -> Any:
    if default is None or value is None:
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"config key '{where}' must be true or false, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, str):  # YAML 1.1 reads '1e-4' (no dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"config key '{where}' must be a number, got {value!r}")
        return float(value)
    if isinstance(default, int):
        if isinstance(value, str) and _number(value) is not None:
            value = _number(value)  # '2e3' -> 2000.0 -> 2000 below
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ConfigError(f"config key '{where}' must be an integer, got {value!r}")
        return value
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"config key '{where}' must be a string, got {value!r}")
        return value
    if isinstance(default, list | tuple):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"config key '{where}' must be a list, got {value!r}")
        return list(value)
    return value


def merge(defaults: Mapping[str, Any], user: Mapping[str, Any] | None, where: str = "") -> dict[str, Any]:
    """Return ``defaults`` updated with ``user``; unknown keys and wrong types raise ConfigError."""
    out = copy.deepcopy(dict(defaults))
    if user is None:
        return out
    if not isinstance(user, Mapping):
        raise ConfigError(f"config section '{where or '<root>'}' must be a mapping, got {_type_name(user)}")
    for key, value in user.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in out:
            if where in FREE_FORM:
                out[key] = value
                continue
            close = difflib.get_close_matches(str(key), [str(k) for k in out], n=1)
            hint = f" (did you mean '{where + '.' if where else ''}{close[0]}'?)" if close else ""
            raise ConfigError(f"unknown config key '{path}'{hint}")
        default = out[key]
        if isinstance(default, Mapping):
            out[key] = merge(default, value, path)
        else:
            out[key] = _coerce(value, default, path)
    return out


def parse_override(text: str) -> tuple[list[str], Any]:
    """``'trainer.max_steps=100'`` -> ``(['trainer', 'max_steps'], 100)``."""
    if "=" not in text:
        raise ConfigError(f"override '{text}' is not of the form section.key=value")
    key, raw = text.split("=", 1)
    keys = [k for k in key.strip().split(".")]
    if not all(keys):
        raise ConfigError(f"override '{text}' has an empty key")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return keys, value


def _default_at(config: Mapping[str, Any], keys: list[str]) -> Any:
    node: Any = config
    for k in keys:
        if not isinstance(node, Mapping) or k not in node:
            return None
        node = node[k]
    return node


def apply_overrides(config: Mapping[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply ``section.key=value`` overrides; validated like the file itself.

    For a string-valued key the text is taken as is (``data.speaker=001`` stays ``'001'``, not 1).
    """
    user: dict[str, Any] = {}
    for text in overrides:
        keys, value = parse_override(text)
        if isinstance(_default_at(config, keys), str) and isinstance(value, bool | int | float):
            value = text.split("=", 1)[1].strip()
        node = user
        for k in keys[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override '{text}' conflicts with another override")
        node[keys[-1]] = value
    return merge(config, user)


def read_yaml(path: str | os.PathLike) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        data = yaml.safe_load(path.read_text())
    except (UnicodeDecodeError, ValueError):
        raise ConfigError(f"{path}: not a text (YAML) file") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror or e})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}: invalid YAML{at}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config must be a mapping at the top level")
    return data


def load_config(
    defaults: Mapping[str, Any], path: str | os.PathLike | None = None, overrides: Iterable[str] = ()
) -> dict[str, Any]:
    """Defaults <- YAML file <- command-line overrides, all validated."""
    config = merge(defaults, read_yaml(path) if path else None)
    overrides = list(overrides)
    for text in overrides:
        # a key without a typed default (null, e.g. trainer.max_minutes) takes the override's own type, not
        # the type the file happened to give it (150 in the file, 2.5 on the command line)
        keys, _ = parse_override(text)
        parent = _default_at(config, keys[:-1])
        if _default_at(defaults, keys) is None and isinstance(parent, dict) and keys[-1] in parent:
            parent[keys[-1]] = None
    return apply_overrides(config, overrides)


def dump_yaml(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(_plain(data), sort_keys=False, default_flow_style=None)


def save_config(config: Mapping[str, Any], path: str | os.PathLike) -> Path:
    """Write the resolved config atomically."""
    path = Path(path)
    text = dump_yaml(config)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as e:
        raise ConfigError(f"{path}: cannot write ({e.strerror or e})") from None
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes it 0600; give the file the usual permissions
        os.replace(tmp, path)
    except OSError as e:
        raise ConfigError(f"{path}: cannot write ({e.strerror or e})") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def _plain(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    return x


def diff_keys(a: Mapping[str, Any], b: Mapping[str, Any], where: str = "") -> list[str]:
    """Dotted keys whose values differ between two configs."""
    keys = []
    for k in sorted(set(a) | set(b), key=str):
        path = f"{where}.{k}" if where else str(k)
        va, vb = a.get(k), b.get(k)
        if isinstance(va, Mapping) and isinstance(vb, Mapping):
            keys += diff_keys(va, vb, path)
        elif va != vb:
            keys.append(path)
    return keys
