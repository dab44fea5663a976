"""`audiogan prepare {dir,mix}`: build Kaldi-style data dirs.

``dir``  FOLDER DATADIR [--speaker-from parent|utt|regex:RE] [--label-from parent|regex:RE]
``mix``  --clean DATADIR --noise DATADIR (--snrs 0,5,10,15 | --snr-range LO,HI) --seed S
         [--snr-mode active|utterance] [--utts-per-clean K] [--sample-rate SR] [--wav-dir DIR]
         [--gain-range LO,HI] [--babble DATADIR --babble-share P --babble-talkers LO,HI]
         [--bandlimit-share P] OUTDIR
"""

from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    p = sub.add_parser("prepare", help="build Kaldi-style data dirs (from a folder; noisy mixtures)",
                       description="Build Kaldi-style data dirs.")
    kinds = p.add_subparsers(dest="prepare_kind", metavar="KIND")

    d = kinds.add_parser(
        "dir", help="data dir from a folder of audio files",
        description="Scan FOLDER recursively for .wav/.flac/.ogg files and write DATADIR/{wav.scp,utt2spk,"
                    "spk2utt,utt2dur} (and utt2label). Utterance ids are <speaker>-<relative path>.")
    d.add_argument("folder", metavar="FOLDER")
    d.add_argument("datadir", metavar="DATADIR")
    d.add_argument("--speaker-from", default="parent", metavar="RULE",
                   help="parent (the parent folder's name; default), utt (one speaker per file) or "
                        "regex:RE (searched in the path relative to FOLDER: group 'id', else group 1, "
                        "else the whole match)")
    d.add_argument("--label-from", default=None, metavar="RULE",
                   help="write utt2label: parent or regex:RE (same rules as --speaker-from)")
    d.set_defaults(func=run_dir)

    m = kinds.add_parser(
        "mix", help="mix clean speech with noise at set SNRs",
        description="Write noisy/clean WAV pairs and an enhancement data dir OUTDIR (wav.scp noisy, spk1.scp "
                    "clean reference, utt2snr, utt2noise, utt2spk, spk2utt, utt2dur). Same arguments, same "
                    "files.")
    m.add_argument("--clean", required=True, metavar="DATADIR", help="clean speech data dir")
    m.add_argument("--noise", required=True, metavar="DATADIR", help="noise data dir (any length; looped)")
    m.add_argument("--snrs", default=None, metavar="LIST", help="comma-separated SNRs in dB, e.g. 0,5,10,15")
    m.add_argument("--snr-range", default=None, metavar="LO,HI",
                   help="draw each SNR uniformly from LO..HI dB instead (e.g. -5,20)")
    m.add_argument("--gain-range", default=None, metavar="LO,HI",
                   help="random gain in dB applied to noisy and clean alike (e.g. -20,0)")
    m.add_argument("--babble", default=None, metavar="DATADIR",
                   help="speech data dir to build babble noise from (e.g. the clean training dir)")
    m.add_argument("--babble-share", type=float, default=0.0, metavar="P",
                   help="share of mixtures that use babble instead of a noise recording (default 0)")
    m.add_argument("--babble-talkers", default="3,6", metavar="LO,HI",
                   help="overlapping utterances per babble (default 3,6)")
    m.add_argument("--bandlimit-share", type=float, default=0.0, metavar="P",
                   help="share of mixtures band-limited through 8 kHz, noisy and clean alike (default 0)")
    m.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    m.add_argument("--snr-mode", choices=("active", "utterance"), default="active",
                   help="SNR over active speech (default; frames within 30 dB of the loudest) or the whole "
                        "utterance")
    m.add_argument("--utts-per-clean", type=int, default=1, metavar="K",
                   help="mixtures per clean utterance (ids <utt>-mix<k> when K > 1)")
    m.add_argument("--sample-rate", type=int, default=None, metavar="HZ",
                   help="resample clean and noise to this rate (default: the clean rate)")
    m.add_argument("--wav-dir", default=None, metavar="DIR",
                   help="audio folder (default OUTDIR/audio): DIR/noisy/<utt>.wav, DIR/clean/<utt>.wav")
    m.add_argument("outdir", metavar="OUTDIR")
    m.set_defaults(func=run_mix)

    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), 2)[1])


def run_dir(args: argparse.Namespace) -> int:
    from audiogan.data.prepare import prepare_dir

    d = prepare_dir(args.folder, args.datadir, speaker_from=args.speaker_from, label_from=args.label_from)
    total = sum((d.utt2dur or {}).values())
    print(f"audiogan prepare dir: {len(d.utts)} utterances, {len(d.speakers)} speakers, "
          f"{total / 60:.1f} min -> {d.path}")
    return 0


def run_mix(args: argparse.Namespace) -> int:
    from audiogan.data.mix import mix_data_dirs, parse_range, parse_snrs
    from audiogan.errors import AudioGanError

    if args.sample_rate is not None and args.sample_rate < 1000:
        raise AudioGanError(f"--sample-rate must be at least 1000 Hz, got {args.sample_rate}")
    if (args.snrs is None) == (args.snr_range is None):
        raise AudioGanError("give exactly one of --snrs LIST and --snr-range LO,HI")
    snr_range = parse_range(args.snr_range, "--snr-range") if args.snr_range else None
    gain_range = parse_range(args.gain_range, "--gain-range") if args.gain_range else None
    lo, hi = parse_range(args.babble_talkers, "--babble-talkers")
    if lo != int(lo) or hi != int(hi):
        raise AudioGanError(f"--babble-talkers must be whole numbers, got '{args.babble_talkers}'")
    d = mix_data_dirs(args.clean, args.noise, args.outdir, snrs=parse_snrs(args.snrs) if args.snrs else [],
                      seed=args.seed, snr_mode=args.snr_mode, utts_per_clean=args.utts_per_clean,
                      sample_rate=args.sample_rate, wav_dir=args.wav_dir, snr_range=snr_range,
                      gain_range=gain_range, babble=args.babble, babble_share=args.babble_share,
                      babble_talkers=(int(lo), int(hi)), bandlimit_share=args.bandlimit_share)
    what = f"in {{{args.snrs}}}" if args.snrs else f"from {args.snr_range}"
    print(f"audiogan prepare mix: {len(d.utts)} noisy utterances ({args.snr_mode} SNR {what} dB) -> {d.path}")
    return 0
