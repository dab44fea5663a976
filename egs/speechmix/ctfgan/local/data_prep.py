#!/usr/bin/env python3
"""Data dirs of the speechmix recipes (egs/speechmix/{ctfgan,segan}): clean speech and noise for on-the-fly
training mixtures, fixed dev mixtures, and a test set whose speakers AND noises are never trained on.

    data_prep.py DATA [--db_root DIR] [--asterisk DIR] [--max-utts N] [--seed S]

Speech (from --db_root's manifest.tsv; --db_root defaults to $AUDIOGAN_DATA, else <project>/../shared/data):

    train_clean  vcc2016_full SF1 SF2 SF3 SM1 SM2 TF1 TF2 TM1 TM2: 1000NN (all 162) + 2000NN of SF1 SM1 TF1
                 TM1 except the dev ones; asterisk voices astallison (en+es), astjune (fr), astivr (ru)
                 minus dev
    dev_clean    vcc2016_full {SF1,SM1,TF1,TM1}/2000006-2000015 + 5 prompts (>= 1.5 s) per training
                 asterisk voice
    test_clean   unseen speakers: vcc2016_full TM3 1000001-1000040, arctic clb + slt (all 30 each), asterisk
                 astcarlo (it, male; 50 prompts >= 1.5 s)

  Not used: vcc2016/ (bit-identical copies of vcc2016_full 100001-100030), speech_commands and sc_digits (1 s
  words), fsdd (8 kHz: no target above 4 kHz), librispeech (the bundled examples are made from it).
  VCC2016 is parallel: TM3's sentences are also spoken by training speakers (speakers, not texts, are unseen).

Noise (train and test disjoint recordings; the bundled examples' noises are all test noises):

    test_noise   noise/sc_running_tap sc_dude_miaowing sc_pink_noise spear_mvolvo spear_pink,
                 blanket/coffee-shop waves, ambient/music_hobbs_lets_go_fishin nature_humpback_whale
    train_noise  every other noise/, blanket/ and ambient/ recording

Fixed mixtures (audiogan.data.mix.mix_data_dirs, SNR over active speech):

    dev      dev_clean x train_noise at -5,0,5,10,15,20 dB (selection only)
    test     test_clean x test_noise at -5,0,5,10,15,20 dB (one draw per utterance)
    test_8k  the same draws as test, band-limited through 8 kHz (telephone band), noisy and clean alike

Writes DATA/<split>/{wav.scp,utt2spk,spk2utt} (+ spk1.scp, utt2snr, utt2noise... for mixtures) and
DATA/splits.tsv (split, utterances, speakers, minutes). Checks that no test speaker or noise is in train or
dev.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections import defaultdict
from pathlib import Path

TRAIN_VCC = ("SF1", "SF2", "SF3", "SM1", "SM2", "TF1", "TF2", "TM1", "TM2")
DEV_VCC = ("SF1", "SM1", "TF1", "TM1")  # the speakers with 2000NN utterances
DEV_EVAL = range(200006, 200016)
TEST_VCC, TEST_VCC_UTTS = "TM3", range(100001, 100041)
TEST_VOICE = "astcarlo"
AST_DEV_PER_VOICE, AST_TEST_UTTS, AST_MIN_SECONDS = 5, 50, 1.5
TEST_NOISE = {"sc_running_tap", "sc_dude_miaowing", "sc_pink_noise", "spear_mvolvo", "spear_pink",
              "coffee-shop", "waves", "music_hobbs_lets_go_fishin", "nature_humpback_whale"}
SNRS = [-5.0, 0.0, 5.0, 10.0, 15.0, 20.0]


def default_db_root() -> Path:
    if os.environ.get("AUDIOGAN_DATA"):
        return Path(os.environ["AUDIOGAN_DATA"])
    return Path(__file__).resolve().parents[4].parent / "shared" / "data"


def write_dir(out: Path, table: dict[str, tuple[str, str]]) -> None:
    from audiogan.data.datadir import utt2spk_to_spk2utt, write_table

    out.mkdir(parents=True, exist_ok=True)
    write_table(out / "wav.scp", {u: p for u, (_, p) in table.items()})
    u2s = {u: s for u, (s, _) in table.items()}
    write_table(out / "utt2spk", u2s)
    write_table(out / "spk2utt", utt2spk_to_spk2utt(u2s))


def thin(table: dict[str, tuple[str, str]], n: int) -> dict[str, tuple[str, str]]:
    """Every k-th utterance, n of them (n <= 0: all): a small set that keeps the variety."""
    utts = sorted(table)
    if n <= 0 or n >= len(utts):
        return table
    return {u: table[u] for u in utts[:: max(1, len(utts) // n)][:n]}


def seconds_of(paths: list[str]) -> float:
    import soundfile as sf

    return sum(sf.info(p).frames / sf.info(p).samplerate for p in paths)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data")
    ap.add_argument("--db_root", default=None)
    ap.add_argument("--asterisk", default=None, help="data dir of local/asterisk.py (skipped if missing)")
    ap.add_argument("--max-utts", type=int, default=0, help=">0: keep N utterances per clean split (debug)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    db = Path(args.db_root) if args.db_root else default_db_root()
    if not (db / "manifest.tsv").is_file():
        print(f"data_prep.py: {db}/manifest.tsv not found; set AUDIOGAN_DATA or --db_root", file=sys.stderr)
        return 1
    with open(db / "manifest.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    s: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)  # split -> utt -> (speaker, path)
    for r in rows:
        p = Path(r["path"])
        path, stem, corpus = str((db / p).resolve()), p.stem, p.parts[0]
        if corpus == "vcc2016_full":
            spk, num = p.parts[1], int(stem)
            if spk in TRAIN_VCC:
                split = "dev_clean" if spk in DEV_VCC and num in DEV_EVAL else "train_clean"
            elif spk == TEST_VCC and num in TEST_VCC_UTTS:
                split = "test_clean"
            else:
                continue
            s[split][f"{spk}-{stem}"] = (spk, path)
        elif corpus == "arctic":
            s["test_clean"][f"arctic{p.parts[1]}-{stem}"] = (f"arctic{p.parts[1]}", path)
        elif corpus in ("noise", "blanket", "ambient"):
            s["test_noise" if stem in TEST_NOISE else "train_noise"][stem] = (stem, path)
    if args.asterisk and (Path(args.asterisk) / "wav.scp").is_file():
        from audiogan.data.datadir import DataDir

        ast = DataDir(args.asterisk)
        durs = {u: seconds_of([ast.wav_scp[u]]) for u in ast.utts}
        per_voice: dict[str, list[str]] = defaultdict(list)
        for u in ast.utts:
            per_voice[ast.utt2spk[u]].append(u)
        for spk, utts in per_voice.items():
            long = [u for u in utts if durs[u] >= AST_MIN_SECONDS]
            if spk == TEST_VOICE:
                pick = set(long[:: max(1, len(long) // AST_TEST_UTTS)][:AST_TEST_UTTS])
                for u in pick:
                    s["test_clean"][u] = (spk, ast.wav_scp[u])
                continue
            dev = set(long[:: max(1, len(long) // AST_DEV_PER_VOICE)][:AST_DEV_PER_VOICE])
            for u in utts:
                s["dev_clean" if u in dev else "train_clean"][u] = (spk, ast.wav_scp[u])
    else:
        print("data_prep.py: no asterisk data dir: training speech is VCC2016 only")
    for name in ("train_clean", "dev_clean", "test_clean", "train_noise", "test_noise"):
        if not s[name]:
            print(f"data_prep.py: no files for {name} in {db}", file=sys.stderr)
            return 1
    spk = {n: {v[0] for v in s[n].values()} for n in s}
    leak = spk["test_clean"] & (spk["train_clean"] | spk["dev_clean"])
    if leak or set(s["test_noise"]) & set(s["train_noise"]):
        print(f"data_prep.py: test leaks into training: {sorted(leak)}", file=sys.stderr)
        return 1
    data = Path(args.data)
    for name in ("train_clean", "dev_clean", "test_clean"):
        s[name] = thin(s[name], args.max_utts)
        spk[name] = {v[0] for v in s[name].values()}
    for name in ("train_clean", "dev_clean", "test_clean", "train_noise", "test_noise"):
        write_dir(data / name, s[name])
    from audiogan.data.mix import mix_data_dirs

    for split, clean, noise, extra in (("dev", "dev_clean", "train_noise", {}),
                                       ("test", "test_clean", "test_noise", {}),
                                       ("test_8k", "test_clean", "test_noise", {"bandlimit_share": 1.0})):
        seed = args.seed + (1 if split == "dev" else 2)  # test and test_8k: the same (noise, SNR) draws
        mix_data_dirs(data / clean, data / noise, data / split, snrs=SNRS, seed=seed, sample_rate=16000,
                      progress=False, **extra)
    with open(data / "splits.tsv", "w") as f:
        f.write("split\tutterances\tspeakers\tminutes\n")
        for name in ("train_clean", "train_noise", "dev_clean", "test_clean", "test_noise"):
            mins = seconds_of([p for _, p in s[name].values()]) / 60
            line = f"{name}\t{len(s[name])}\t{len(spk[name]) if 'clean' in name else '-'}\t{mins:.1f}"
            f.write(line + "\n")
            print(f"data_prep.py: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
