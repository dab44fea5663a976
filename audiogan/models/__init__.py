"""Network definitions per family, and the registry that builds them from a config (:mod:`.registry`)."""

from audiogan.models.registry import FAMILIES, INFERENCE_NETWORKS, InferenceBundle, build, load_for_inference

__all__ = ["FAMILIES", "INFERENCE_NETWORKS", "InferenceBundle", "build", "load_for_inference"]
