"""The documentation stays true to the code: README.md stays short, every relative link in README.md,
docs/*.md and the recipe READMEs resolves (file and heading anchor), and every `audiogan ...` command line
shown in README.md and docs/*.md names a real subcommand and only options that subcommand has.

Command lines are taken from fenced code blocks (in a block with `$ ` prompts, only the prompt lines) and
from inline code spans that start with `audiogan `. Placeholders (`MODEL`, `COMMAND`, `{a,b}`, `a/b`, `…`),
`section.key=value` overrides, values and comments after `#` are not checked.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from audiogan.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
RECIPE_READMES = sorted(ROOT.glob("egs/*/*/README.md"))
LINK_PAGES = [README, *DOCS, *RECIPE_READMES]
COMMAND_PAGES = [README, *DOCS]
MAX_README_LINES = 300

FENCE = re.compile(r"^\s*(```|~~~)\s*([\w+-]*)")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*([^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
INLINE_CODE = re.compile(r"`([^`\n]+)`")
LONG_OPT = re.compile(r"^[\[(]*(--[A-Za-z0-9][A-Za-z0-9_-]*)")
SHORT_OPT = re.compile(r"^[\[(]*(-[A-Za-z])(?=$|[\])|=,])")
SEPARATORS = {"|", "||", "&&", ";", "&"}
NOT_COMMANDS = {"python", "yaml", "yml", "json", "toml", "html", "text"}  # fenced blocks of these are skipped


# -- markdown helpers ----------------------------------------------------------------------------------------
def split_fences(text: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """``(prose lines, [(info string, block lines), ...])`` of a markdown text."""
    prose: list[str] = []
    blocks: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    marker = ""
    for line in text.splitlines():
        m = FENCE.match(line)
        if current is None and m:
            marker, current = m.group(1), []
            blocks.append((m.group(2).lower(), current))
        elif current is not None and line.strip().startswith(marker) and line.strip().strip(marker[0]) == "":
            current = None
        elif current is not None:
            current.append(line)
        else:
            prose.append(line)
    return prose, blocks


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())  # a link keeps its text
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    prose, _ = split_fences(path.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    out = set()
    for line in prose:
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def relative_links(path: Path) -> list[str]:
    prose, _ = split_fences(path.read_text(encoding="utf-8"))
    text = INLINE_CODE.sub("CODE", "\n".join(prose))  # keeps [`x`](y) links, drops code like `x[C](y)`
    return [t for t in LINK.findall(text) if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]


def link_problem(page: Path, target: str) -> str | None:
    file_part, _, fragment = target.partition("#")
    dest = (page.parent / file_part).resolve() if file_part else page
    if not dest.exists():
        return f"{target}: no such file"
    if fragment and dest.suffix == ".md" and fragment not in anchors(dest):
        return f"{target}: no heading with anchor #{fragment} in {dest.relative_to(ROOT)}"
    return None


# -- command lines -------------------------------------------------------------------------------------------
def strip_comment(line: str) -> str:
    """``line`` up to a shell comment (a ``#`` at the start of a word, outside quotes)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def block_commands(lines: list[str]) -> list[str]:
    """The logical command lines of one code block: comments stripped, ``\\`` continuations joined, and
    indented option lines of a usage synopsis joined to the ``audiogan`` line above them."""
    prompts = any(line.lstrip().startswith("$ ") for line in lines)
    out: list[str] = []
    joining = False
    for raw in lines:
        line = strip_comment(raw).rstrip()
        stripped = line.strip()
        synopsis_line = raw[:1].isspace() and stripped[:1] in ("[", "(", "-")
        if joining or (not prompts and out and synopsis_line and "audiogan" in out[-1]):
            out[-1] += " " + stripped
        elif prompts and not stripped.startswith("$ "):
            joining = False
            continue
        else:
            out.append(stripped[2:] if prompts else stripped)
        joining = out[-1].endswith("\\")
        if joining:
            out[-1] = out[-1][:-1].rstrip()
    return [c for c in out if c]


def tokens(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:  # an unbalanced quote in a synopsis: plain words are good enough
        return command.split()


def is_placeholder(word: str) -> bool:
    """`MODEL`, `KIND`, `{a,b}`, `<folder>`, `a/b/c`, `…`: stands for a word, so nothing definite to check."""
    caps = re.fullmatch(r"[A-Z][A-Z0-9_]*\.*", word)
    return bool(caps) or word == "..." or any(c in word for c in "{}<>/…")


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def command_problems(command: str, parser: argparse.ArgumentParser) -> list[str]:
    """What is wrong with each ``audiogan ...`` invocation in ``command`` (a shell line)."""
    words = tokens(command)
    problems = []
    for start, word in enumerate(words):
        if word != "audiogan":
            continue
        segment, depth = [], 0  # the words of this invocation: up to a pipe, `&&`, `;` or a redirection
        for w in words[start + 1 :]:
            if depth == 0 and (w in SEPARATORS or w.startswith((">", "2>", "<"))):
                break
            segment.append(w)
            depth += w.count("[") + w.count("(") - w.count("]") - w.count(")")
        problems += invocation_problems(segment, parser)
    return [f"{command!r}: {p}" for p in problems]


def invocation_problems(words: list[str], parser: argparse.ArgumentParser) -> list[str]:
    name, rest = "audiogan", list(words)
    while rest and not rest[0].startswith("-"):
        choices = subparsers(parser)
        if not choices:
            break
        word = rest.pop(0)
        if is_placeholder(word):
            return []  # `audiogan COMMAND --help`, `audiogan score KIND ...`: nothing definite to check
        if word not in choices:
            return [f"`{name} {word}`: no such subcommand (choices: {', '.join(sorted(choices))})"]
        name, parser = f"{name} {word}", choices[word]
    known = parser._option_string_actions
    problems = []
    for word in rest:
        if "=" in word and not word.startswith("-"):
            continue  # section.key=value override, or a LABEL=PATH value
        m = LONG_OPT.match(word) or SHORT_OPT.match(word)
        if m and m.group(1) not in known:
            problems.append(f"`{name}` has no option {m.group(1)}")
    return problems


def page_commands(path: Path) -> list[str]:
    prose, blocks = split_fences(path.read_text(encoding="utf-8"))
    commands = [c for info, lines in blocks if info not in NOT_COMMANDS for c in block_commands(lines)]
    commands += [span for span in INLINE_CODE.findall("\n".join(prose)) if span.startswith("audiogan ")]
    return [c for c in commands if "audiogan" in tokens(c)]


@pytest.fixture(scope="module")
def parser() -> argparse.ArgumentParser:
    return build_parser()


# -- the tests -----------------------------------------------------------------------------------------------
def test_readme_is_short():
    n = len(README.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_README_LINES, f"README.md has {n} lines (at most {MAX_README_LINES}): move text to docs/"


def test_readme_keeps_the_set_up_commands():
    """.ci/run installs and tests exactly as the README says."""
    _, blocks = split_fences(README.read_text(encoding="utf-8"))
    lines = [line for _, block in blocks for line in block]
    assert any(line.startswith('python3 -m pip install -e ".[dev]"') for line in lines)
    assert "python3 -m pytest" in lines


def test_there_are_pages_to_check():
    assert len(DOCS) >= 10 and len(RECIPE_READMES) >= 5
    assert sum(len(relative_links(p)) for p in LINK_PAGES) >= 50


@pytest.mark.parametrize("page", LINK_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page):
    problems = [p for t in relative_links(page) if (p := link_problem(page, t))]
    assert not problems, f"{page.relative_to(ROOT)}: broken links:\n" + "\n".join(problems)


@pytest.mark.parametrize("page", COMMAND_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_command_lines_use_real_subcommands_and_options(page, parser):
    problems = [p for c in page_commands(page) for p in command_problems(c, parser)]
    assert not problems, f"{page.relative_to(ROOT)}:\n" + "\n".join(problems)


def test_every_subcommand_is_shown(parser):
    """Each subcommand (and each `score`/`prepare` kind) appears in at least one documented command line."""
    shown = set()
    for page in COMMAND_PAGES:
        for command in page_commands(page):
            words = tokens(command)
            for i, w in enumerate(words):
                if w == "audiogan":
                    shown.add(" ".join(words[i + 1 : i + 2]))
                    shown.add(" ".join(words[i + 1 : i + 3]))
    wanted = set()
    for name, sub in subparsers(parser).items():
        kinds = subparsers(sub)
        wanted |= {f"{name} {k}" for k in kinds} if kinds else {name}
    assert not wanted - shown, f"never shown in README.md or docs/: {sorted(wanted - shown)}"


# -- the checker itself: it catches a renamed option, and leaves placeholders alone -------------------------
def test_checker_catches_wrong_subcommands_and_options(parser):
    assert command_problems("audiogan denoise --no-such-option x.wav -o out", parser)
    assert command_problems("audiogan denoise x.wav [--quite]", parser)
    assert command_problems("audiogan score enhancment --ref a --est b", parser)
    assert command_problems("audiogan train segan --out-dir exp/x", parser)
    assert command_problems("cd x && audiogan convert -z a.wav | tail -n 1", parser)
    lines = block_commands(["audiogan convert [-m CKPT]", "                 [--no-such-flag]"])
    assert command_problems(lines[0], parser)
    lines = block_commands(["$ audiogan generate \\", "    --no-such-flag 3", "audiogan: error: ..."])
    assert lines == ["audiogan generate --no-such-flag 3"] and command_problems(lines[0], parser)


def test_checker_leaves_placeholders_and_overrides_alone(parser):
    ok = [
        "audiogan train MODEL --outdir EXP [--config C.yaml] [section.key=value ...]",
        "audiogan COMMAND --help",
        "audiogan score {enhancement,conversion,generation}",
        "audiogan denoise/convert/generate -m",
        "audiogan denoise [-m CKPT | -m builtin:NAME | --baseline logmmse] INPUT... (-o DIR | --output F)",
        "audiogan prepare mix --clean D --noise N --snrs=-5,0,5 OUTDIR",
        "audiogan report exp/x --system noisy=data/test",
        "torchrun --standalone --nproc-per-node 2 -m audiogan train MODEL --config x.yaml --outdir e",
        "python3 -m pip install -e .[dev] && audiogan denoise examples/ -o enhanced/ --plot",
        "audiogan score quality enhanced/ --json | tail -n 1",
    ]
    for command in ok:
        assert not command_problems(command, parser), command
    assert block_commands(["audiogan train toy --outdir x   # a --comment, not an option"]) == [
        "audiogan train toy --outdir x"
    ]
