"""The model: its settings, its layers, the architecture, and one compiled prediction.

Modules
-------
config
    :class:`ModelConfig`, :class:`TrainConfig`, :class:`RunConfig` with a JSON round trip.
layers
    The registered custom layers (no ``Lambda``: a saved model loads in Keras safe mode).
architectures
    :func:`build_model` and the presets (``reference``, ``compact``, ``tiny``).
predict
    Batched prediction of one Keras model through a function compiled once per
    architecture (:func:`~promoter_model.model.predict.predict`, :func:`predict_codes`,
    :func:`predict_sequences`, :func:`warm_up`, :func:`input_length`). An ensemble is
    predicted by :class:`promoter_model.predictor.Predictor`, above this package.

The settings are imported here at once; the Keras-based names are resolved on first use
(PEP 562), so importing a run's config never loads TensorFlow (about 3 s). The function
``predict`` is not re-exported: ``promoter_model.model.predict`` is its module.
"""

from promoter_model.model.config import (
    FIRST_ACTIVATIONS,
    LEGACY_BN_MOMENTUM,
    ModelConfig,
    RunConfig,
    TrainConfig,
)

_LAZY = {
    "PACKAGE": "layers", "PositionEmbedding": "layers", "ReverseComplementConv1D": "layers",
    "TransformerBlock": "layers",
    "PRESETS": "architectures", "build_model": "architectures",
    "first_conv_layer": "architectures", "preset": "architectures",
    "compiled": "predict", "input_length": "predict", "predict_codes": "predict",
    "predict_sequences": "predict", "signature": "predict", "warm_up": "predict",
}

__all__ = ["FIRST_ACTIVATIONS", "LEGACY_BN_MOMENTUM", "ModelConfig", "RunConfig", "TrainConfig",
           *_LAZY]


def __getattr__(name):
    """Resolve the Keras-based names (see ``_LAZY``) on first use."""
    if name in _LAZY:
        import importlib  # noqa: PLC0415

        return getattr(importlib.import_module(f"promoter_model.model.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
