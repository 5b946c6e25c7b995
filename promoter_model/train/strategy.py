"""Devices and distribution: CPU splitting, multi-host start-up, strategies, and TrainingError.

TensorFlow, Keras and JAX are imported inside these functions on purpose: :func:`split_cpu`
must configure devices before TensorFlow initialises them and :func:`init_multi_host` must
run before the JAX backend starts, and ``TrainingError`` must stay importable by the CLI's
error handling without loading TensorFlow (about 3 s).
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

log = logging.getLogger("promoter_model.train")


class TrainingError(RuntimeError):
    """A training run that cannot start or continue, with the reason."""


# --------------------------------------------------------------------------- devices
def split_cpu(n: int) -> None:
    """Split the host CPU into ``n`` logical devices (to exercise multi-device code on CPU).

    Must run before TensorFlow initialises its devices.
    """
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(n)])
    except RuntimeError as exc:
        if len(tf.config.list_logical_devices("CPU")) != n:
            raise TrainingError(f"cannot split the CPU into {n} devices after TensorFlow "
                                f"started ({exc})") from None


def init_multi_host(force: bool = False) -> bool:
    """Join a multi-host JAX job (TPU pod slice, several GPU hosts) before anything runs.

    Calls ``keras.distribution.initialize()`` (i.e. ``jax.distributed.initialize``) when
    ``force`` is set or ``KERAS_DISTRIBUTION_JOB_ADDRESSES`` or
    ``KERAS_DISTRIBUTION_NUM_PROCESSES`` is in the environment; on a Cloud TPU pod the
    coordinator, process count and index are discovered from the TPU metadata. Must run
    before any JAX computation. Returns whether it initialised. No-op under other backends.
    """
    import keras

    if keras.backend.backend() != "jax":
        return False
    if not (force or os.environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
            or os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES")):
        return False
    keras.distribution.initialize()
    import jax

    log.info("multi-host JAX: process %d of %d, %d local / %d global devices",
             jax.process_index(), jax.process_count(), jax.local_device_count(),
             jax.device_count())
    return True


def _tpu_visible() -> bool:
    return bool(os.environ.get("TPU_NAME") or os.environ.get("COLAB_TPU_ADDR")
                or os.environ.get("TPU_WORKER_HOSTNAMES") or Path("/dev/accel0").exists()
                or Path("/dev/vfio").exists() and os.environ.get("TPU_ACCELERATOR_TYPE"))


def resolve_strategy(name: str = "auto", tpu: str | None = None):
    """Choose a ``tf.distribute`` strategy.

    Parameters
    ----------
    name : {"auto", "default", "mirrored", "tpu"}
        ``auto``: TPUStrategy when a TPU resolves, MirroredStrategy on several GPUs, the
        default strategy otherwise. ``mirrored`` on a machine without GPUs mirrors over the
        logical CPU devices (see :func:`split_cpu`).
    tpu : str, optional
        TPU name or address for the cluster resolver ('' or None: the local TPU VM).

    Returns
    -------
    tf.distribute.Strategy
    """
    import tensorflow as tf

    if name not in ("auto", "default", "mirrored", "tpu"):
        raise TrainingError(f"unknown strategy {name!r}; use auto, default, mirrored or tpu")
    if name == "tpu" or (name == "auto" and (tpu or _tpu_visible())):
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or "")
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
            return tf.distribute.TPUStrategy(resolver)
        except (ValueError, RuntimeError, tf.errors.OpError) as exc:
            if name == "tpu":
                raise TrainingError(f"no TPU could be resolved ({exc}); see docs/training.md"
                                    " for the supported TPU routes") from None
            log.info("no TPU resolved (%s); falling back", exc)
    gpus = tf.config.list_logical_devices("GPU")
    if name == "mirrored":
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=devices)
    if name == "auto" and len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def accelerator(strategy=None) -> str:
    """``tpu``, ``gpu`` or ``cpu``: what the active Keras backend trains on.

    Under TensorFlow a ``TPUStrategy`` (``strategy``) or a visible GPU; under JAX the
    platform of the first device.
    """
    import keras

    if keras.backend.backend() == "jax":
        import jax

        platform = jax.devices()[0].platform
        return platform if platform in ("gpu", "tpu") else "cpu"
    if keras.backend.backend() != "tensorflow":
        return "cpu"
    if strategy is not None and "TPU" in type(strategy).__name__:
        return "tpu"
    import tensorflow as tf

    return "gpu" if tf.config.list_logical_devices("GPU") else "cpu"


def resolve_precision(name: str, device: str) -> str:
    """``auto``: ``mixed_bfloat16`` on a GPU or TPU, ``float32`` on a CPU; else ``name``."""
    from promoter_model.model.architectures import PRECISIONS

    if name == "auto":
        return "mixed_bfloat16" if device in ("gpu", "tpu") else "float32"
    if name not in PRECISIONS:
        raise TrainingError(f"unknown precision {name!r}; use auto, "
                            f"{', '.join(PRECISIONS)}")
    return name


class _NoScope:
    num_replicas_in_sync = 1

    def scope(self):
        return contextlib.nullcontext()


def resolve_distribution(name: str = "auto", tpu: str | None = None):
    """The distribution for the active Keras backend.

    Under TensorFlow, a ``tf.distribute`` strategy (:func:`resolve_strategy`). Under JAX,
    ``keras.distribution.DataParallel`` over all devices is set globally when there is more
    than one device (or ``name='mirrored'``), and a no-op scope is returned.
    """
    import keras

    if keras.backend.backend() == "tensorflow":
        return resolve_strategy(name, tpu)
    if keras.backend.backend() == "jax":
        import jax

        devices = jax.devices()
        scope = _NoScope()
        if name in ("mirrored", "tpu") or (name == "auto" and len(devices) > 1):
            keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
            scope.num_replicas_in_sync = len(devices)
        return scope
    return _NoScope()
