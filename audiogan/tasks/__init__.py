"""Registry of trainable tasks: ``audiogan train <name>`` and checkpoints name one of these.

Entries are ``module:Class`` strings imported on demand, so one family's heavy imports never slow another.
"""

from __future__ import annotations

import importlib

from audiogan.errors import AudioGanError

TASKS: dict[str, str] = {
    "toy": "audiogan.tasks.toy:ToyGANTask",
    "segan": "audiogan.tasks.segan:SEGANTask",
    "cyclegan_vc2": "audiogan.tasks.cyclegan_vc2:CycleGANVC2Task",
    "stargan_vc2": "audiogan.tasks.stargan_vc2:StarGANVC2Task",
    "wavegan": "audiogan.tasks.wavegan:WaveGANTask",
    "specgan": "audiogan.tasks.specgan:SpecGANTask",
    "classifier": "audiogan.tasks.classifier:ClassifierTask",
    "ctfgan": "audiogan.tasks.ctfgan:CTFGANTask",
}


def get_task(name: str):
    """The task class registered as ``name``; an unknown or not-yet-built name is a clear error."""
    if name not in TASKS:
        raise AudioGanError(f"unknown model '{name}' (choose from: {', '.join(sorted(TASKS))})")
    module_name, cls_name = TASKS[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name == module_name:
            raise AudioGanError(f"model '{name}' is not built yet") from None
        raise
    return getattr(module, cls_name)
