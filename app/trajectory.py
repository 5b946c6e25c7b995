"""State and helpers of the Mutagenesis page: the mutation trajectory kept in
``st.session_state``, reading click events, its tables, the attribution methods' titles.

No ``st.*`` here (reading a sequence with its notes shown is ``ui.read_one``; the page's
HTML report is :func:`app.reports.sequence_report`).

Functions take the session state (any dict-like) explicitly, so they can be tested without a
running app.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: the ISM logo's letter height is minus the mean effect of the three substitutions (see
#: app.cache.ism.attribution): a tall letter is a base whose mutation lowers expression
ISM_LOGO_TITLE = "ISM: expression lost when the base is mutated (mean of the 3 substitutions)"
METHODS = {"ism": "ISM: expression lost when mutated",
           "gradient_x_input": "Gradient × input",
           "integrated_gradients": "Integrated gradients",
           "shap": "SHAP (expected gradients)"}
#: logo titles: the method names, the ISM one spelled out
LOGO_TITLES = {**METHODS, "ism": ISM_LOGO_TITLE}
_KEY = "mut_traj_steps"
_START = "mut_traj_start"


def trajectory(state, start: str, predict) -> list:
    """The trajectory of ``start`` (reset when the input sequence changes).

    A step without a prediction (``None``: opened from a session saved with another model,
    :func:`restore`) is predicted here.
    """
    if state.get(_START) != start or not state.get(_KEY):
        state[_START] = start
        state[_KEY] = [{"step": 0, "mutation": "input", "sequence": start,
                        "predicted": predict(start)}]
    for step in state[_KEY]:
        if step["predicted"] is None:
            step["predicted"] = predict(step["sequence"])
    return state[_KEY]


def export(state) -> dict | None:
    """The trajectory as plain data (``start`` and its ``steps``) for a session file, or
    None before the first step.
    """
    steps = state.get(_KEY)
    if not steps:
        return None
    return {"start": state.get(_START),
            "steps": [{"step": int(s["step"]), "mutation": str(s["mutation"]),
                       "sequence": str(s["sequence"]),
                       "predicted": None if s["predicted"] is None else float(s["predicted"])}
                      for s in steps]}


def restore(state, saved: dict | None, rescore: bool = False) -> None:
    """Put back a trajectory of :func:`export` (checked by ``app.session``); None clears it.

    ``rescore``: drop its predictions (made by another model); the page predicts them again.
    """
    if not saved:
        state.pop(_KEY, None)
        state.pop(_START, None)
        return
    state[_START] = saved["start"]
    state[_KEY] = [{**s, "predicted": None if rescore else s["predicted"]}
                   for s in saved["steps"]]


def current(state, default: str) -> str:
    """The trajectory's latest sequence, or ``default`` before the first step."""
    steps = state.get(_KEY)
    return steps[-1]["sequence"] if steps else default


def chart_key(steps) -> str:
    """Widget key of the heatmap for the trajectory's current sequence."""
    import zlib

    return f"ism_heat_{len(steps)}_{zlib.crc32(steps[-1]['sequence'].encode()):08x}"


def selected_mutation(event):
    """``(position 1-based, base)`` of a clicked heatmap cell, or None."""
    if not event:
        return None
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for p in points or []:
        if p.get("curve_number", 2) != 2:  # only the grid of known bases is clickable
            continue
        x, y = p.get("x"), p.get("y")
        if x is None or y not in ("A", "C", "G", "T"):
            continue
        return int(round(float(x))), str(y)
    return None


def mutate(sequence: str, position: int, base: str) -> str:
    """``sequence`` with ``base`` at 1-based ``position``."""
    return sequence[:position - 1] + base + sequence[position:]


def apply(state, position: int, base: str, *, current: str, predict) -> bool:
    """Append the mutation ``position`` -> ``base`` to the trajectory.

    False (nothing applied) if the position is out of range, already holds ``base``, or is
    ``N``: an unknown base has no defined mutation.
    """
    if not 1 <= position <= len(current) or current[position - 1] in (base, "N"):
        return False
    new = mutate(current, position, base)
    steps = state[_KEY]
    steps.append({"step": len(steps), "mutation": f"{position}{current[position - 1]}>{base}",
                  "sequence": new, "predicted": predict(new)})
    state[_KEY] = steps
    return True


def undo(state) -> None:
    """Drop the trajectory's last step (the start stays)."""
    steps = state.get(_KEY) or []
    if len(steps) > 1:
        steps.pop()
    state[_KEY] = steps


def reset(state) -> None:
    """Go back to the trajectory's start."""
    steps = state.get(_KEY) or []
    state[_KEY] = steps[:1]


def trajectory_table(steps, measured=None, interval=None) -> pd.DataFrame:
    """The trajectory as a table; with ``measured``, each prediction's percentile.

    ``interval`` (``app.cache.ism.ism_interval`` of the steps' sequences) adds
    ``sd``, ``lower`` and ``upper`` where the model has them.
    """
    df = pd.DataFrame(steps, columns=["step", "mutation", "predicted", "sequence"])
    df.insert(3, "change_vs_input", df["predicted"] - df["predicted"].iloc[0])
    for k, name in enumerate(("sd", "lower", "upper")):
        if interval is not None and interval.get(name) is not None:
            df.insert(3 + k, name, interval[name])
    if measured is not None:
        df.insert(3, "percentile", _percentiles(measured, df["predicted"]))
    df["path"] = ["→".join(df["mutation"].iloc[:i + 1]) for i in range(len(df))]
    return df


def _percentiles(measured, values) -> np.ndarray:
    from promoter_model.dream import percentile

    return np.round(np.asarray(percentile(measured, np.asarray(values, dtype=np.float64))), 1)


def ism_csv(sequence: str, scores, sd=None, disagree=None, lower=None,
            upper=None) -> pd.DataFrame:
    """The ISM table of one sequence (``interpret.ism_summary.ism_table``, as the CLI writes it)."""
    from promoter_model.interpret.ism_summary import ism_table
    from promoter_model.sequence import one_hot

    x = one_hot([sequence], length=len(sequence), fit=False)
    sd, disagree, lower, upper = (None if a is None else np.asarray(a)[None]
                                  for a in (sd, disagree, lower, upper))
    return ism_table(["sequence"], x, np.asarray(scores)[None], sd=sd, disagree=disagree,
                     lower=lower, upper=upper)


def flank_of(positions) -> np.ndarray:
    """``"5' flank"``, ``"3' flank"`` or ``""`` for 1-based positions of a 110 bp construct:
    the constant plasmid flanks (1-17 and 98-110), never varied in training.
    """
    from promoter_model.sequence import VARIABLE_END, VARIABLE_START

    p = np.asarray(positions, dtype=np.int64)
    return np.where(p <= VARIABLE_START, "5' flank", np.where(p > VARIABLE_END, "3' flank", ""))


def top_table(scores, sequence: str, ref_pred: float, n: int = 10,
              measured=None, sd=None, disagree=None, difference=None,
              include_flanks: bool = False) -> pd.DataFrame:
    """The strongest mutations; with ``measured``, each mutant's percentile.

    Mutations in the plasmid flanks (:func:`flank_of`; the model never saw those bases
    vary) are left out unless ``include_flanks``; the ``flank`` column names them.

    Parameters
    ----------
    sd, disagree : array, shape (L, 4), optional
        An ensemble's members' sd of each change and their sign disagreement: added as
        ``change_sd`` and ``members_disagree``.
    difference : callable, optional
        ``difference(mutant, reference)`` -> ``(lower, upper)`` of the measured change
        (``Calibration.difference_interval``), or None without a calibration: added as
        ``change_lower`` and ``change_upper``.
    """
    from promoter_model.interpret.ism_summary import top_mutations

    scores = np.array(scores, dtype=np.float64)
    if not include_flanks and len(sequence) == scores.shape[0] == 110:
        flank = flank_of(np.arange(1, scores.shape[0] + 1)) != ""
        scores[flank] = np.nan  # an N-like cell: never listed
    top = top_mutations(scores, sequence, n=n)
    top.insert(0, "mutation", [f"{p}{r}>{a}" for p, r, a in
                               zip(top["position"], top["reference"], top["alternative"])])
    row, col = top["position"].to_numpy() - 1, ["ACGT".index(b) for b in top["alternative"]]
    if sd is not None:
        top["change_sd"] = np.asarray(sd, dtype=np.float64)[row, col]
    mutant = ref_pred + top["change"].to_numpy(np.float64)
    bounds = None if difference is None else difference(mutant, np.full(len(top), ref_pred))
    if bounds is not None:
        top["change_lower"], top["change_upper"] = bounds
    if disagree is not None:
        top["members_disagree"] = np.asarray(disagree, dtype=bool)[row, col]
    top["flank"] = flank_of(top["position"]) if len(sequence) == 110 else ""
    top["predicted"] = ref_pred + top["change"]
    if measured is not None:
        top["percentile"] = _percentiles(measured, top["predicted"])
    return top
