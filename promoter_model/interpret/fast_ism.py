"""Exact fast ISM: recompute only the window of the local convolutions around each mutation.

In a model from :func:`promoter_model.model.architectures.build_model` every stage before the
transformer is local: a convolution of half-width ``r`` (kernel ``2r + 1``, "same" zero
padding) followed by per-position operations (batch norm in inference mode, GELU, leaky
ReLU, residual adds). A single-base change at position ``i`` therefore changes the output of
the convolutional stack only at ``i - R .. i + R``, where ``R`` is the sum of the
convolutions' half-widths (18 bp for ``compact``: six kernels of 7). As in fastISM (Nair et
al., Bioinformatics 2022), each mutant's convolutional stack is computed on that growing
window only, spliced with the reference sequence's activations, and only the later stages
(transformer, LSTMs, head) run on every mutant's whole sequence: the same predictions as
whole-model passes up to float32 round-off (``tests/test_fast_ism.py``), with about a fifth
of the convolutions' cost for ``compact``. Like members share one compiled trace.

Models this module does not recognise (another graph, a non-float32 policy, even kernels,
the JAX backend) get ``None`` from :func:`engine_for`, and
:func:`promoter_model.interpret.ism.ism` predicts every mutant in full.
"""

from __future__ import annotations

import threading
import weakref

import keras
import numpy as np

from ..model.predict import signature
from ..sequence import reverse_complement_one_hot
from .fast_ism_plan import ConvStage, Plan, plan_for

_PLANS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_ENGINES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


# --------------------------------------------------------------------------- the windows
class _Windows:
    """Index arithmetic shared by every stage of one call.

    ``seq`` (K,) and ``pos`` (K,) name each mutant's sequence and mutated position; reference
    activations are kept zero-padded by ``pad`` on both sides, flattened over sequences, so a
    strip of any mutant's window is one gather.
    """

    def __init__(self, seq, pos, length, pad):
        import tensorflow as tf

        self.tf, self.pos, self.length, self.pad = tf, pos, length, pad
        self.base = seq * (length + 2 * pad) + pos + pad  # flat index of each mutated base

    def flat(self, ref):
        """(n, L, C) reference -> (n * (L + 2 pad), C), zero-padded per sequence."""
        tf = self.tf
        ref = tf.pad(ref, [[0, 0], [self.pad, self.pad], [0, 0]])
        return tf.reshape(ref, [-1, tf.shape(ref)[-1]])

    def strip(self, ref_flat, lo, hi):
        """Reference activations at offsets ``lo .. hi - 1`` from each mutated base."""
        return self.tf.gather(ref_flat, self.base[:, None] + self.tf.range(lo, hi)[None])

    def grow(self, ref_flat, win, h, h_new):
        """A half-width ``h`` window of changed values, widened to ``h_new`` from the
        reference.
        """
        if h_new == h:
            return win
        return self.tf.concat([self.strip(ref_flat, -h_new, -h), win,
                               self.strip(ref_flat, h + 1, h_new + 1)], axis=1)

    def mask(self, win, h):
        """Zero the positions of a half-width ``h`` window outside the sequence (there the
        model's next convolution sees its zero padding).
        """
        tf = self.tf
        p = self.pos[:, None] + tf.range(-h, h + 1)[None]
        inside = tf.cast((p >= 0) & (p < self.length), win.dtype)
        return win * inside[:, :, None]

    def conv(self, ref_flat, win, h, conv: ConvStage):
        """The convolution's output on the half-width ``h + r`` window around each base."""
        tf = self.tf
        x = self.grow(ref_flat, win, h, h + 2 * conv.r)
        y = tf.nn.conv1d(x, conv.kernel(), stride=1, padding="VALID")
        return y + conv.bias() if conv.bias is not None else y


def _same_conv(x, conv: ConvStage):
    import tensorflow as tf

    y = tf.nn.conv1d(x, conv.kernel(), stride=1, padding="SAME")
    return y + conv.bias() if conv.bias is not None else y


def _apply(layers, x):
    """Per-position layers on a window (their input specs name the model's shapes, so the
    layers' own ``call`` runs; batch norm over the last axis in inference mode).
    """
    for layer in layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            ops = keras.ops
            x = ops.batch_normalization(
                x, layer.moving_mean, layer.moving_variance, axis=-1,
                offset=layer.beta if layer.center else None,
                scale=layer.gamma if layer.scale else None, epsilon=layer.epsilon)
        else:
            x = layer.call(x)
    return x


def _strands(layers, x):
    """Per-position layers of the rc stage on ``(..., W, 2F)`` viewed as ``(..., W, 2, F)``."""
    import tensorflow as tf

    shape = tf.shape(x)
    y = _apply(layers, tf.reshape(x, tf.concat([shape[:-1], [2, -1]], 0)))
    return tf.reshape(y, shape)


def _member(plan: Plan, X, seq, pos, alt):
    """Reference and mutant predictions of one member: shapes (n,) and (K,)."""
    import tensorflow as tf

    n, length = tf.shape(X)[0], X.shape[1]
    w = _Windows(seq, pos, length, plan.radius + 2 * max(
        [plan.rc_conv.r, plan.coop_conv.r] + [c.r for b in plan.res for c in (b[0], b[2])]))

    # reference: the whole stack once per sequence, keeping every convolution's input
    h_ref = _strands(plan.rc_post, _same_conv(X, plan.rc_conv))
    ref_in = [w.flat(X), w.flat(h_ref)]
    h_ref = _apply(plan.coop_post, _same_conv(h_ref, plan.coop_conv))
    for conv1, mid, conv2, add, post in plan.res:
        ref_in.append(w.flat(h_ref))
        m = _apply(mid, _same_conv(h_ref, conv1))
        ref_in.append(w.flat(m))
        h_ref = _apply(post, add.call([h_ref, _same_conv(m, conv2)]))

    # mutants: each stage on the window its change has reached
    win = tf.one_hot(alt, 4, dtype=X.dtype)[:, None, :]  # (K, 1, 4), half-width 0
    h = 0
    win = w.mask(_strands(plan.rc_post, w.conv(ref_in[0], win, h, plan.rc_conv)),
                 h + plan.rc_conv.r)
    h += plan.rc_conv.r
    win = w.mask(_apply(plan.coop_post, w.conv(ref_in[1], win, h, plan.coop_conv)),
                 h + plan.coop_conv.r)
    h += plan.coop_conv.r
    for k, (conv1, mid, conv2, add, post) in enumerate(plan.res):
        x_flat, m_flat = ref_in[2 + 2 * k], ref_in[3 + 2 * k]
        m = w.mask(_apply(mid, w.conv(x_flat, win, h, conv1)), h + conv1.r)
        y = w.conv(m_flat, m, h + conv1.r, conv2)
        h_new = h + conv1.r + conv2.r
        win = w.mask(_apply(post, add.call([w.grow(x_flat, win, h, h_new), y])), h_new)
        h = h_new

    # splice each mutant's window into its sequence's reference output: (K, L, C)
    p = tf.range(length)[None, :]
    offset = p - pos[:, None] + h  # index into the window
    inside = (offset >= 0) & (offset <= 2 * h)
    spliced = tf.where(inside[:, :, None],
                       tf.gather(win, tf.clip_by_value(offset, 0, 2 * h), batch_dims=1),
                       tf.gather(h_ref, seq))
    out = plan.tail(tf.concat([h_ref, spliced], axis=0), training=False)
    out = tf.reshape(tf.cast(out, tf.float32), [-1])
    return out[:n], out[n:]


class Engine:
    """Reference and single-mutant predictions of every member.

    ``fused=False`` (the default): one compiled function per architecture, traced once
    with the weights as arguments (inside a ``keras.StatelessScope``) and called once per
    member, so an ensemble of five like members costs one trace, not five. ``fused=True``:
    all members in one compiled graph (one call; five traces' worth of tracing).
    ``jit=True``: the same functions compiled by XLA (``jit_compile``; one compilation per
    input shape): exact to float32 round-off and 1.5x faster for the demo ensemble on a
    2-core AVX2 CPU, not the default yet (``docs/benchmarks.md``, "Ensemble ISM: other
    runtimes").
    """

    def __init__(self, models, plans, length: int, fused: bool = False, jit: bool = False):
        import tensorflow as tf

        refs = [weakref.ref(m) for m in models]  # the function must not keep models alive
        self._refs, self.length, self.fused, self.jit = refs, length, fused, jit
        spec = [tf.TensorSpec([None, length, 4], tf.float32), tf.TensorSpec([None], tf.int32),
                tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32)]
        if fused:
            def call(X, seq, pos, alt):
                ref, var = zip(*(_member(p, X, seq, pos, alt) for p in plans))
                return tf.stack(ref), tf.stack(var)

            self._fn = tf.function(call, input_signature=spec, jit_compile=jit)
            return
        self._member_fn = []  # per member: the compiled function of its architecture
        templates = {}
        for k, (model, plan) in enumerate(zip(models, plans)):
            sig = signature(model)
            if sig not in templates:
                templates[sig] = self._shared(model.variables, plan, spec, jit)
            self._member_fn.append(templates[sig])

    @staticmethod
    def _shared(variables, plan, spec, jit):
        import tensorflow as tf

        values = [tf.TensorSpec(v.shape, v.dtype) for v in variables]

        def call(weights, X, seq, pos, alt):
            with keras.StatelessScope(state_mapping=list(zip(variables, weights))):
                return _member(plan, X, seq, pos, alt)

        return tf.function(call, input_signature=[values, *spec], jit_compile=jit)

    def _call(self, X, seq, pos, alt):
        if self.fused:
            return self._fn(X, seq, pos, alt)
        out = [fn([v.value for v in r().variables], X, seq, pos, alt)
               for fn, r in zip(self._member_fn, self._refs)]
        return [o[0] for o in out], [o[1] for o in out]

    def alive(self, models) -> bool:
        """Whether this engine was built for exactly these (live) models."""
        return len(models) == len(self._refs) and all(
            r() is m for r, m in zip(self._refs, models))

    def predict(self, X, seq, pos, alt):
        """Predictions of references and mutants.

        Parameters
        ----------
        X : np.ndarray, shape (n, L, 4), float32
            Reference sequences.
        seq, pos, alt : np.ndarray, shape (K,), int
            Mutant ``k`` is sequence ``seq[k]`` with position ``pos[k]`` set to base
            ``alt[k]`` (0-3, A, C, G, T).

        Returns
        -------
        ref : np.ndarray, shape (n_members, n), float32
        var : np.ndarray, shape (n_members, K), float32
        """
        ref, var = self._call(np.asarray(X, np.float32), np.asarray(seq, np.int32),
                              np.asarray(pos, np.int32), np.asarray(alt, np.int32))
        return np.stack([np.asarray(r) for r in ref]), np.stack([np.asarray(v) for v in var])


def _cached_plan(model):
    plan = _PLANS.get(model)
    if plan is None:
        plan = plan_for(model) or False
        _PLANS[model] = plan
    return plan or None


def engine_for(models, fused: bool = False, jit: bool = False) -> Engine | None:
    """The compiled fast-ISM engine for these models, or None where it does not apply.

    ``fused``, ``jit``: see :class:`Engine`.
    """
    models = list(models)
    if keras.backend.backend() != "tensorflow" or not models:
        return None
    key = (fused, jit, *(id(m) for m in models))
    with _LOCK:
        engines = _ENGINES.setdefault(models[0], {})  # one per member list led by this model
        cached = engines.get(key)
        if cached is not None and cached.alive(models):
            return cached
        plans = [_cached_plan(m) for m in models]
        lengths = {m.input_shape[1] for m in models}
        if any(p is None for p in plans) or len(lengths) != 1 or None in lengths:
            return None
        engine = Engine(models, plans, int(lengths.pop()), fused=fused, jit=jit)
        engines[key] = engine
        return engine


def snv_member_predictions(engine, pred, block, alt, func, batch_size: int) -> np.ndarray:
    """What ``pred.predict_members(snv batches of block)`` returns, through the exact
    windowed engine (same row order, RC averaging and ``func``).

    ``alt`` is ``(n, 3 L)``: the three alternative base codes of each position in the
    order of :func:`promoter_model.interpret.ism.snv_batch`.
    """
    n, L = block.shape[0], block.shape[1]
    per = 1 + 3 * L
    pos = np.tile(np.repeat(np.arange(L), 3), (n, 1))
    group = max(1, batch_size // per)  # sequences per compiled call (bounds memory)

    def run(X, pos, alt):
        out = np.zeros((len(pred.members), n, per), dtype=np.float64)
        for s in range(0, n, group):
            g = min(group, n - s)
            seq = np.repeat(np.arange(g), 3 * L)
            ref, var = engine.predict(X[s:s + g], seq, pos[s:s + g].ravel(),
                                      alt[s:s + g].ravel())
            out[:, s:s + g, 0] = ref
            out[:, s:s + g, 1:] = var.reshape(-1, g, 3 * L)
        return out.reshape(len(pred.members), n * per)

    y = run(block, pos, alt)
    if pred.rc_average:  # the mutant's reverse complement is the RC's mutant at L - 1 - i
        y = (y + run(reverse_complement_one_hot(block), L - 1 - pos, 3 - alt)) / 2.0
    if func is not None:
        y = np.stack([np.asarray(func(row), dtype=np.float64) for row in y])
    return y
