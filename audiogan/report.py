"""A listening page for an experiment: ``<outdir>/index.html`` with the scores, pictures and, for a seeded
sample of utterances, an audio player and a log-mel spectrogram per system side by side.

The folder is self-contained: the audio is copied in (WAV/FLAC/OGG/MP3 as they are, anything else as
WAV), every link is relative, the page is plain HTML + CSS with no network fetch, so it can be copied or
served as it is. A few lines of inline script only mark a player or picture that fails to load (and record
the count on ``<body data-media>``, which the browser test reads).
"""

from __future__ import annotations

import datetime
import html
import os
import random
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from audiogan import audio
from audiogan.errors import AudioGanError
from audiogan.paths import child_path

MARKER = ".audiogan-report"  # a folder holding this was written here and may be replaced
PLAYABLE = {".wav", ".flac", ".ogg", ".mp3"}  # what browsers play as is


@dataclass
class System:
    """One column of the sample table: a label and ``{key: audio file}``."""

    label: str
    files: dict[str, Path]


def list_system(label: str, spec: str | os.PathLike) -> System:
    """Files of one system: a folder (searched recursively), a Kaldi data dir (its ``wav.scp``) or an
    ``.scp`` file (e.g. ``data/test/spk1.scp``, the clean speech of an enhancement data dir)."""
    from audiogan.metrics._match import _list, _read_scp

    p = Path(spec)
    if p.is_file() and p.suffix == ".scp":
        return System(label, _read_scp(p, p.parent))
    if not p.is_dir():
        raise AudioGanError(f"--system {label}={spec}: not a folder, data dir or .scp file")
    listing = _list(p, label, "wav.scp" if (p / "wav.scp").is_file() else None)
    return System(label, dict(listing.by_key))


def common_keys(systems: Sequence[System]) -> list[str]:
    """Keys every system has; matched by key, else by file stem when that pairs more."""
    keys = set.intersection(*(set(s.files) for s in systems))
    stems = [{Path(k).name: v for k, v in s.files.items()} for s in systems]
    by_stem = set.intersection(*(set(d) for d in stems))
    if len(by_stem) > len(keys) and all(len(d) == len(s.files) for d, s in zip(stems, systems)):
        for s, d in zip(systems, stems):
            s.files = d
        keys = by_stem
    return sorted(keys)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "x"


def _place_audio(src: Path, folder: Path, name: str) -> tuple[Path, int]:
    """Copy (or transcode to WAV) ``src`` into ``folder``; returns (path, sample rate)."""
    info = audio.info(src)
    ext = src.suffix.lower()
    if ext in PLAYABLE:
        dst = child_path(folder, name, ext, "sample name")
        shutil.copyfile(src, dst)
    else:
        x, sr = audio.load(src)
        dst = audio.save(child_path(folder, name, ".wav", "sample name"), x, sr)
    return dst, info.sample_rate


def _results_html(path: Path | None) -> str:
    if path is None or not path.is_file():
        return "<p>No RESULTS.md in this experiment yet.</p>"
    import markdown

    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^# .*\n", "", text, count=1)  # the page has its own title
    return markdown.markdown(text, extensions=["tables"])


STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 1400px; padding: 0 1em;
       color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; } .meta { color: #666; }
table { border-collapse: collapse; margin: .6em 0; } th, td { border: 1px solid #ccc; padding: .25em .5em; }
th { background: #f3f3f3; } td { vertical-align: top; }
table.samples td { text-align: center; } table.samples td.key { text-align: left; font-family: monospace; }
table.samples img { display: block; width: 270px; margin-top: .3em; } audio { width: 270px; }
figure { display: inline-block; margin: .5em 1em .5em 0; } figure img { max-width: 100%; }
.broken { outline: 3px solid #c00; }
"""

CHECK_SCRIPT = """
<script>
(function () {
  var media = Array.prototype.slice.call(document.querySelectorAll("audio, img"));
  var left = media.length, broken = [];
  function done() {
    document.body.dataset.media = broken.length ? "broken " + broken.length + ": " + broken.join(" ")
                                                : "ok " + media.length;
  }
  function settle(el, ok) {
    if (el.dataset.settled) return;
    el.dataset.settled = "1";
    if (!ok) { broken.push(el.getAttribute("src")); el.classList.add("broken"); }
    if (--left === 0) done();
  }
  if (!left) done();
  media.forEach(function (el) {
    if (el.tagName === "IMG") {
      if (el.complete) settle(el, el.naturalWidth > 0);
      else { el.onload = function () { settle(el, el.naturalWidth > 0); };
             el.onerror = function () { settle(el, false); }; }
    } else {
      if (el.readyState >= 1) settle(el, true);
      el.addEventListener("loadedmetadata", function () { settle(el, true); });
      el.addEventListener("error", function () { settle(el, false); });
      el.load();
    }
  });
})();
</script>
"""


def build_report(
    expdir: str | os.PathLike,
    systems: Sequence[tuple[str, str]],
    outdir: str | os.PathLike | None = None,
    *,
    title: str | None = None,
    results: str | os.PathLike | None = None,
    images: Sequence[tuple[str, str]] = (),
    n: int = 8,
    seed: int = 0,
    paired: bool = True,
) -> Path:
    """Write the page; returns ``<outdir>/index.html`` (default outdir: ``<expdir>/report``).

    ``systems``: ``[(label, folder | data dir | .scp)]``, the table's columns. ``paired``: rows are
    utterances every system has (matched by name), ``n`` of them drawn with ``seed``; unpaired (e.g. real
    vs generated clips): each column shows its own ``n`` seeded picks. ``images``: ``[(caption, PNG)]``
    shown above the samples (e.g. a WaveGAN grid). ``results``: Markdown scores (default
    ``<expdir>/RESULTS.md``).
    """
    from audiogan.plots import save_spectrograms

    expdir = Path(expdir)
    if not expdir.is_dir():
        raise AudioGanError(f"{expdir}: no such experiment folder")
    if not systems:
        raise AudioGanError("give at least one --system LABEL=PATH")
    if n < 1:
        raise AudioGanError(f"--n must be at least 1, got {n}")
    out = Path(outdir) if outdir is not None else expdir / "report"
    if out.exists() and not (out / MARKER).is_file():
        raise AudioGanError(f"{out} exists and is not a report written by audiogan; choose another -o")
    listed = [list_system(label, spec) for label, spec in systems]
    rng = random.Random(seed)
    if paired:
        keys = common_keys(listed)
        if not keys:
            raise AudioGanError("the systems share no file name; pass --unpaired to sample each on its own")
        picked = sorted(rng.sample(keys, min(n, len(keys))))
        rows = [(k, [s.files[k] for s in listed]) for k in picked]
        total = len(keys)
    else:
        picks = [[s.files[k] for k in sorted(rng.sample(sorted(s.files), min(n, len(s.files))))]
                 for s in listed]
        rows = [(str(i + 1), [p[i] if i < len(p) else None for p in picks])
                for i in range(max(len(p) for p in picks))]
        total = min(len(s.files) for s in listed)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (tmp / MARKER).write_text("written by audiogan report\n")
        head = "".join(f"<th>{html.escape(s.label)}</th>" for s in listed)
        body_rows = []
        for key, files in rows:
            cells = []
            for s, f in zip(listed, files):
                if f is None:
                    cells.append("<td></td>")
                    continue
                sys_dir = tmp / "audio" / _slug(s.label)
                spec_dir = tmp / "spectrograms" / _slug(s.label)
                sys_dir.mkdir(parents=True, exist_ok=True)
                spec_dir.mkdir(parents=True, exist_ok=True)
                name = _slug(key)
                dst, sr = _place_audio(Path(f), sys_dir, name)
                x, _ = audio.load(dst, mono=True, frames=int(60 * sr))
                png = save_spectrograms([x[0]], sr, child_path(spec_dir, name, ".png", "sample name"),
                                        width=4.0, panel_height=1.8)
                a, i = dst.relative_to(tmp).as_posix(), png.relative_to(tmp).as_posix()
                alt = html.escape(f"{s.label}: {key}")
                cells.append(f'<td><audio controls preload="metadata" src="{html.escape(a)}"></audio>'
                             f'<img src="{html.escape(i)}" alt="log-mel spectrogram, {alt}"></td>')
            body_rows.append(f'<tr><td class="key">{html.escape(key)}</td>{"".join(cells)}</tr>')
        figures = []
        for k, (caption, png) in enumerate(images):
            src = Path(png)
            if not src.is_file():
                raise AudioGanError(f"--image {caption}={png}: no such file")
            dst = tmp / "images" / f"{k}_{_slug(src.name)}"
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            figures.append(f'<figure><img src="images/{html.escape(dst.name)}" alt="{html.escape(caption)}">'
                           f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        results_path = Path(results) if results is not None else expdir / "RESULTS.md"
        page_title = title or f"audiogan experiment {expdir.name}"
        how = (f"{len(rows)} of {total} utterances every system has, drawn with seed {seed}" if paired
               else f"{len(rows)} seeded picks per column (seed {seed}); columns are not paired")
        doc = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(page_title)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>{html.escape(page_title)}</h1>
<p class="meta">experiment <code>{html.escape(str(expdir))}</code> · written
{datetime.datetime.now().strftime("%Y-%m-%d %H:%M")} by <code>audiogan report</code></p>
<h2 id="scores">Scores</h2>
{_results_html(results_path)}
{('<h2 id="pictures">Pictures</h2>' + "".join(figures)) if figures else ""}
<h2 id="samples">Listen</h2>
<p>{html.escape(how)}. Spectrograms: log-mel power, 64 ms windows, 80 dB range.</p>
<table class="samples">
<tr><th>utterance</th>{head}</tr>
{chr(10).join(body_rows)}
</table>
{CHECK_SCRIPT}
</body>
</html>
"""
        (tmp / "index.html").write_text(doc, encoding="utf-8")
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)  # mkdtemp makes 0700; a report folder is for sharing
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out / "index.html"
