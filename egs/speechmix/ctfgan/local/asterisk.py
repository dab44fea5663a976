#!/usr/bin/env python3
"""Stage -1 (optional corpus): Asterisk's studio prompts as extra clean speech -> FLACs and a data dir.

Debian's asterisk-core-sounds-{en,es,fr,it,ru}-g722 packages hold ~2,800 studio prompts (G.722, 16 kHz) of
four voices: Allison Smith (en_US and es_MX), June Wallack (fr_CA), Carlo (it_IT, male) and IvrvoiceRU
(ru_RU). Licences (/usr/share/doc/asterisk-core-sounds-*/copyright): CC BY-SA 3.0 for en, es (Allison Smith),
fr (June Wallack) and it (Carlo Flora), CC BY 3.0 for ru (Maxim Topal). Share adaptations (these FLACs) under
the same licence, crediting the voices; nothing of it is ever committed.

    asterisk.py OUT [--install] [--sounds /usr/share/asterisk/sounds]

With --install it runs `apt-get install` first. Where apt or the packages are unavailable it prints one
notice and exits 0 (the recipe then trains without these voices). Each prompt is decoded with PyPI `G722`
(pip install 'audiogan[recipes]'; installed here on demand) and written as 16-bit FLAC to
OUT/wav/<voice>/<path_with_underscores>.flac; OUT/{wav.scp,utt2spk,spk2utt} list them with utterance ids
`<voice>-<path_with_underscores>` and speaker = voice (ast_en_allison, ast_es_allison share one voice).
Re-running skips FLACs already written.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

PACKAGES = [f"asterisk-core-sounds-{lang}-g722" for lang in ("en", "es", "fr", "it", "ru")]
# folder under the sounds root -> voice id (the speaker; Allison records both en and es)
VOICES = {"en_US_f_Allison": "astallison-en", "es_MX_f_Allison": "astallison-es",
          "fr_CA_f_June": "astjune-fr", "it_IT_m_Carlo": "astcarlo-it", "ru_RU_f_IvrvoiceRU": "astivr-ru"}
SPEAKER = {"astallison-en": "astallison", "astallison-es": "astallison", "astjune-fr": "astjune",
           "astcarlo-it": "astcarlo", "astivr-ru": "astivr"}


def notice(msg: str) -> int:
    print(f"asterisk.py: {msg}; continuing without the asterisk voices")
    return 0


def install() -> bool:
    if shutil.which("apt-get") is None:
        return False
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    r = subprocess.run(["apt-get", "install", "-y", "-q", *PACKAGES], env=env, capture_output=True, text=True)
    if r.returncode != 0:  # the package lists may be missing on a fresh machine: update once, retry
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
        r = subprocess.run(["apt-get", "install", "-y", "-q", *PACKAGES], env=env, capture_output=True)
    return r.returncode == 0


def g722_decoder():
    try:
        import G722
    except ImportError:
        r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "G722>=1.2"], capture_output=True)
        if r.returncode != 0:
            return None
        import G722
    return G722


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--install", action="store_true", help="apt-get install the packages first")
    ap.add_argument("--sounds", default="/usr/share/asterisk/sounds")
    args = ap.parse_args()
    import soundfile as sf

    sounds = Path(args.sounds)
    have = [v for v in VOICES if (sounds / v).is_dir()]
    if len(have) < len(VOICES) and args.install:
        if not install():
            if not have:
                return notice("apt-get install of the asterisk-core-sounds packages failed or apt is missing")
        have = [v for v in VOICES if (sounds / v).is_dir()]
    if not have:
        return notice(f"no asterisk prompts under {sounds} (run with --install)")
    G722 = g722_decoder()
    if G722 is None:
        return notice("PyPI 'G722' is not installed and pip could not install it")
    out = Path(args.out).resolve()
    wav, u2s = {}, {}
    for folder in have:
        voice = VOICES[folder]
        for f in sorted((sounds / folder).rglob("*.g722")):
            stem = "_".join(f.relative_to(sounds / folder).with_suffix("").parts).replace(" ", "_")
            utt = f"{voice}-{stem}"
            dest = out / "wav" / voice / f"{stem}.flac"
            if not dest.is_file():
                x = np.asarray(G722.G722(16000, 64000).decode(f.read_bytes()), dtype=np.int16)
                if len(x) < 1600 or not np.any(x):  # < 0.1 s or silence: not useful speech
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                tmp = dest.with_name(f".{dest.name}.tmp.flac")
                sf.write(tmp, x, 16000, subtype="PCM_16")
                tmp.replace(dest)
            wav[utt], u2s[utt] = str(dest), SPEAKER[voice]
    spk2utt: dict[str, list[str]] = {}
    for utt in sorted(u2s):
        spk2utt.setdefault(u2s[utt], []).append(utt)
    for name, lines in (("wav.scp", [f"{u} {wav[u]}" for u in sorted(wav)]),
                        ("utt2spk", [f"{u} {u2s[u]}" for u in sorted(u2s)]),
                        ("spk2utt", [f"{s} {' '.join(us)}" for s, us in sorted(spk2utt.items())])):
        tmp = out / f".{name}.tmp"
        tmp.write_text("".join(line + "\n" for line in lines))
        tmp.replace(out / name)
    print(f"asterisk.py: {out}: {len(wav)} prompts of {len(spk2utt)} voices ({', '.join(sorted(spk2utt))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
