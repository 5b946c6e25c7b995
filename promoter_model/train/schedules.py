"""Learning-rate defaults that learn at any scale: per-preset rates, batch scaling, warm-up.

What ``train`` does when the user gives no ``--lr`` (the measurements behind each number
are in ``docs/training.md``, *Defaults*):

* **Rate**: each preset's peak rate at a batch of :data:`BASE_BATCH` (:data:`PRESET_LR`),
  scaled to the global batch by the square-root rule (:func:`scaled_lr`; Adam's noise
  scale grows like the square root of the batch, Malladi et al. 2022), never above
  :data:`MAX_SCALE` times the base.
* **Schedule**: ``warmup_cosine`` (:class:`WarmupCosine`): a linear warm-up over the first
  ``warmup_fraction`` of all steps (10 %), then a cosine decay to 1 % of the peak at the
  last step. Without warm-up the reference preset's post-norm transformer collapsed to a
  constant at 1e-3 on one H200 (validation R² ~0).

A rate the user gives (``--lr``) is used as it is: never scaled. ``constant``, ``cosine``
(no warm-up) and ``plateau`` remain available and are what runs trained before these
defaults recorded.

:func:`resolve_schedule` turns a :class:`~promoter_model.model.config.TrainConfig` into the
effective values written into ``config.json`` (``effective``) and printed by ``train``;
:func:`make_optimizer` builds the optimizer from them. Everything here is ``keras.ops``:
the TensorFlow and JAX backends compute the same rates (``tests/test_schedules.py``).
"""

from __future__ import annotations

import math

import keras
from keras import ops

from promoter_model.model.layers import PACKAGE

BASE_BATCH = 256
# peak Adam rate of each preset at BASE_BATCH with the warm-up + cosine schedule. reference:
# the rate that learned on one H200 (validation R² 0.92-0.93 at batch 256, cosine without
# warm-up) where 1e-3 did not; compact: the demo ensemble's 2e-3 (0.93-0.94 at batch 128);
# tiny: what the tests train with
PRESET_LR = {"reference": 3e-4, "compact": 2e-3, "tiny": 3e-3}
FALLBACK_LR = 1e-3        # a preset not listed above
MAX_SCALE = 4.0           # scaled rate at most 4x the base (a batch of 16 x BASE_BATCH)
WARMUP_FRACTION = 0.1
FINAL_FRACTION = 0.01     # the cosine ends at 1 % of the peak
SCHEDULES = ("warmup_cosine", "cosine", "constant", "plateau")
SCALINGS = ("sqrt", "linear", "none")


@keras.saving.register_keras_serializable(package=PACKAGE)
class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to ``peak``, then a cosine decay to ``final_fraction * peak``.

    The rate of optimizer step ``s`` (0-based, as ``optimizer.iterations`` counts) is
    ``peak * (s + 1) / warmup_steps`` while ``s < warmup_steps``, then
    ``peak * (f + (1 - f) * (1 + cos(pi * p)) / 2)`` with ``p = (s - warmup_steps) /
    (total_steps - warmup_steps)`` clipped to [0, 1] and ``f = final_fraction``. With
    ``warmup_steps=0`` this is Keras's ``CosineDecay(peak, total_steps, alpha=f)``.

    Parameters
    ----------
    peak : float
    warmup_steps : int
    total_steps : int
    final_fraction : float
    """

    def __init__(self, peak, warmup_steps, total_steps, final_fraction=FINAL_FRACTION):
        self.peak = float(peak)
        self.warmup_steps = int(warmup_steps)
        self.total_steps = max(int(total_steps), self.warmup_steps + 1)
        self.final_fraction = float(final_fraction)

    def __call__(self, step):
        s = ops.cast(step, "float32")
        warm = float(max(self.warmup_steps, 1))
        ramp = self.peak * ops.minimum((s + 1.0) / warm, 1.0)
        span = float(self.total_steps - self.warmup_steps)
        p = ops.clip((s - float(self.warmup_steps)) / span, 0.0, 1.0)
        f = self.final_fraction
        cosine = self.peak * (f + (1.0 - f) * 0.5 * (1.0 + ops.cos(math.pi * p)))
        if self.warmup_steps == 0:
            return cosine
        return ops.where(s < float(self.warmup_steps), ramp, cosine)

    def get_config(self):
        return {"peak": self.peak, "warmup_steps": self.warmup_steps,
                "total_steps": self.total_steps, "final_fraction": self.final_fraction}


def base_lr(preset: str) -> float:
    """The preset's peak rate at a batch of :data:`BASE_BATCH` (:data:`PRESET_LR`)."""
    return PRESET_LR.get(preset, FALLBACK_LR)


def scaled_lr(base: float, batch: int, rule: str = "sqrt",
              base_batch: int = BASE_BATCH) -> float:
    """``base`` (a rate at ``base_batch``) scaled to a global batch of ``batch``.

    ``sqrt``: ``base * sqrt(batch / base_batch)``; ``linear``: ``base * batch /
    base_batch``; ``none``: ``base``. The factor is clipped to [1 / MAX_SCALE, MAX_SCALE].

    Examples
    --------
    >>> scaled_lr(5e-4, 1024)
    0.001
    """
    if rule not in SCALINGS:
        raise ValueError(f"unknown learning-rate scaling {rule!r}; use one of "
                         f"{', '.join(SCALINGS)}")
    ratio = batch / base_batch
    factor = {"sqrt": math.sqrt(ratio), "linear": ratio, "none": 1.0}[rule]
    return base * min(max(factor, 1.0 / MAX_SCALE), MAX_SCALE)


def resolve_schedule(train_cfg, preset: str, steps_per_epoch: int, factor: float = 1.0,
                     why: str = "") -> dict:
    """The effective learning-rate settings of a run (what ``config.json`` records).

    Parameters
    ----------
    train_cfg : TrainConfig
        ``learning_rate=None`` means the preset's default scaled to ``batch_size``.
    preset : str
    steps_per_epoch : int
    factor : float
        Multiplies a default rate (not a given one), e.g. for fine-tuning.
    why : str
        What ``factor`` is for, appended to ``lr_source``.

    Returns
    -------
    dict
        ``learning_rate`` (the peak), ``lr_source`` (how it was chosen, in words),
        ``lr_schedule``, ``warmup_steps``, ``total_steps``, ``final_lr``.
    """
    schedule = train_cfg.lr_schedule
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown learning-rate schedule {schedule!r}; use one of "
                         f"{', '.join(SCHEDULES)}")
    batch = int(train_cfg.batch_size)
    if train_cfg.learning_rate is not None:
        lr = float(train_cfg.learning_rate)
        source = "given (--lr), not scaled"
    else:
        base = base_lr(preset)
        lr = scaled_lr(base, batch, train_cfg.lr_scaling) * factor
        source = (f"default of the {preset} preset: {base:g} at batch {BASE_BATCH}, "
                  f"{train_cfg.lr_scaling} scaling to batch {batch}")
        if factor != 1.0 or why:
            source += f", x {factor:g}" + (f" {why}" if why else "")
    total = max(1, int(train_cfg.epochs) * int(steps_per_epoch))
    warmup = 0
    if schedule == "warmup_cosine":
        warmup = min(total - 1, max(1, round(train_cfg.warmup_fraction * total)))
    final = lr * FINAL_FRACTION if schedule in ("warmup_cosine", "cosine") else lr
    return {"learning_rate": lr, "lr_source": source, "lr_schedule": schedule,
            "warmup_steps": int(warmup), "total_steps": total, "final_lr": final}


def learning_rate(effective: dict):
    """A float or a :class:`WarmupCosine` from :func:`resolve_schedule`'s values."""
    if effective["lr_schedule"] in ("warmup_cosine", "cosine"):
        return WarmupCosine(effective["learning_rate"], effective["warmup_steps"],
                            effective["total_steps"])
    return effective["learning_rate"]


def make_optimizer(effective: dict, weight_decay: float = 0.0):
    """Adam (AdamW when ``weight_decay > 0``) on the effective schedule."""
    lr = learning_rate(effective)
    if weight_decay > 0:
        return keras.optimizers.AdamW(lr, weight_decay=weight_decay)
    return keras.optimizers.Adam(lr)


def describe(effective: dict) -> str:
    """One line for the log: the peak rate, where it came from, the schedule, precision."""
    text = f"learning rate {effective['learning_rate']:.3g} ({effective['lr_source']})"
    if effective["lr_schedule"] == "warmup_cosine":
        text += (f"; linear warm-up over {effective['warmup_steps']:,} of "
                 f"{effective['total_steps']:,} steps, then cosine to "
                 f"{effective['final_lr']:.2g}")
    elif effective["lr_schedule"] == "cosine":
        text += f"; cosine over {effective['total_steps']:,} steps, no warm-up"
    else:
        text += f"; {effective['lr_schedule']} schedule"
    if "precision" in effective:
        text += f"; precision {effective['precision']}"
    if "batch_size" in effective:
        text += f"; batch {effective['batch_size']:,}"
    return text
