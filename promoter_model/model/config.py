"""Model and training settings as dataclasses with a JSON round trip."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from ..sequence import FIT_CONVENTION, SEQ_LEN

FIRST_ACTIVATIONS = ("gelu", "exp")  # ModelConfig.first_activation
LEGACY_BN_MOMENTUM = 0.99  # Keras's default, what runs saved before ``bn_momentum`` used


@dataclass
class ModelConfig:
    """Hyper-parameters of the reference-family model (see ``docs/model.md``).

    Every stage can be switched off by setting its depth to 0 (``res_blocks``,
    ``attention_blocks``, ``lstm_layers``), which is how the ablations in the model card
    were built.
    """

    seq_len: int = SEQ_LEN
    rc_filters: int = 128          # 1. reverse-complement Conv1D bank
    rc_kernel: int = 7
    # non-linearity after the first layer's batch norm: "gelu" (what every earlier run used)
    # or "exp", the exponential activation of Koo & Ploenzke (Nat. Mach. Intell. 2021),
    # which makes first-layer filters more motif-like (docs/model.md)
    first_activation: str = "gelu"
    coop_filters: int = 256        # 2. forward/reverse co-operativity Conv2D, also the width
    coop_kernel: int = 7           #    of the residual stack
    res_blocks: int = 5            # 3. residual Conv1D blocks
    res_kernel: int = 7
    attention_blocks: int = 5      # 4. transformer blocks over the 110 positions
    attention_heads: int = 8
    model_width: int = 256         #    token width inside the transformer
    ff_multiplier: int = 4         #    feed-forward width = ff_multiplier * model_width
    lstm_layers: int = 2           # 5. bidirectional LSTMs returning sequences
    lstm_units: int = 8
    dense_units: int = 256         # 6. head: Dense(d) -> Dense(d/2) -> Dense(1)
    dropout: float = 0.3
    l1: float = 0.0
    l2: float = 1e-6
    # BatchNormalization momentum of the moving (inference-mode) statistics. Keras's 0.99
    # forgets the initial statistics as 0.99**steps, too slowly for a few hundred steps
    # (issue: small libraries predicted a constant); 0.9 (PyTorch's default) forgets them
    # within ~50 steps. Configs written before this setting existed used 0.99.
    bn_momentum: float = 0.9

    def __post_init__(self):
        if self.first_activation not in FIRST_ACTIVATIONS:
            raise ValueError(f"first_activation must be one of "
                             f"{', '.join(FIRST_ACTIVATIONS)}, got {self.first_activation!r}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown model setting(s): {', '.join(sorted(unknown))}")
        return cls(**{"bn_momentum": LEGACY_BN_MOMENTUM, **d})


@dataclass
class TrainConfig:
    """How a model is trained and on what."""

    epochs: int = 10
    batch_size: int = 256
    # peak rate; None: the preset's default scaled to the batch (train.schedules)
    learning_rate: float | None = None
    # "warmup_cosine" (default) | "cosine" (no warm-up) | "constant" | "plateau"
    lr_schedule: str = "warmup_cosine"
    warmup_fraction: float = 0.1   # share of all steps spent warming up (warmup_cosine)
    lr_scaling: str = "sqrt"       # how a default rate follows the batch: sqrt|linear|none
    precision: str = "auto"        # auto (bfloat16 on GPU/TPU) | float32 | mixed_bfloat16
    weight_decay: float = 0.0      # >0: AdamW
    shuffle_buffer: int = 100_000
    rc_augment: bool = True        # train on both strands (random reverse complement)
    early_stopping_patience: int = 0  # 0: off
    seed: int = 0
    steps_per_epoch: int | None = None  # None: one pass over the training split
    # how inputs of other lengths are fitted (sequence.FIT_CONVENTION); runs saved before
    # the plasmid-flank rule keep their own text ("keep 3' end, pad N on 5' side")
    fit_convention: str = FIT_CONVENTION
    # start from a trained run (or an ensemble's member ``init_member``) instead of random
    # weights; "all" trains every layer, "head" only the dense head (train.finetune)
    init_from: str | None = None
    init_member: int | None = None
    finetune: str = "all"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class RunConfig:
    """Everything needed to rebuild and understand a run; saved as ``config.json``."""

    preset: str = "compact"
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    data_dir: str | None = None
    strategy: str = "auto"
    backend: str = "tensorflow"
    notes: str = ""
    unit: str = ""  # what the labels (and so the predictions) measure; "" = unspecified
    # what ``train`` resolved the settings to: peak learning rate and where it came from,
    # warm-up and total steps, precision, device (train.fit); {} for runs made before
    effective: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"preset": self.preset, "model": self.model.to_dict(),
                "train": self.train.to_dict(), "data_dir": self.data_dir,
                "strategy": self.strategy, "backend": self.backend, "notes": self.notes,
                "unit": self.unit, "effective": dict(self.effective)}

    @property
    def precision(self) -> str:
        """The precision the model was trained in (``float32`` for runs made before)."""
        return self.effective.get("precision", "float32")

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        return cls(preset=d.get("preset", "custom"),
                   model=ModelConfig.from_dict(d.get("model", {})),
                   train=TrainConfig.from_dict(d.get("train", {})),
                   data_dir=d.get("data_dir"), strategy=d.get("strategy", "auto"),
                   backend=d.get("backend", "tensorflow"), notes=d.get("notes", ""),
                   unit=d.get("unit", "") or "", effective=dict(d.get("effective") or {}))

    @classmethod
    def from_json(cls, text: str) -> "RunConfig":
        return cls.from_dict(json.loads(text))
