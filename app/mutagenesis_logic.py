"""State and helpers of the Mutagenesis page: the mutation trajectory kept in
``st.session_state``, reading click events, tables and the HTML report.

No ``st.*`` here (reading a sequence with its notes shown is ``ui.read_one``).

Functions take the session state (any dict-like) explicitly, so they can be tested without a
running app.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: the ISM logo's letter height is minus the mean effect of the three substitutions (see
#: services.attribution): a tall letter is a base whose mutation lowers expression
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
    """The trajectory of ``start`` (reset when the input sequence changes)."""
    if state.get(_START) != start or not state.get(_KEY):
        state[_START] = start
        state[_KEY] = [{"step": 0, "mutation": "input", "sequence": start,
                        "predicted": predict(start)}]
    return state[_KEY]


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


def trajectory_table(steps, measured=None) -> pd.DataFrame:
    """The trajectory as a table; with ``measured``, each prediction's percentile."""
    df = pd.DataFrame(steps, columns=["step", "mutation", "predicted", "sequence"])
    df.insert(3, "change_vs_input", df["predicted"] - df["predicted"].iloc[0])
    if measured is not None:
        df.insert(3, "percentile", _percentiles(measured, df["predicted"]))
    df["path"] = ["→".join(df["mutation"].iloc[:i + 1]) for i in range(len(df))]
    return df


def _percentiles(measured, values) -> np.ndarray:
    from promoter_model.dream import percentile

    return np.round(np.asarray(percentile(measured, np.asarray(values, dtype=np.float64))), 1)


def top_table(scores, sequence: str, ref_pred: float, n: int = 10,
              measured=None) -> pd.DataFrame:
    """The strongest mutations; with ``measured``, each mutant's percentile."""
    from promoter_model.interpret.ism import top_mutations

    top = top_mutations(scores, sequence, n=n)
    top.insert(0, "mutation", [f"{p}{r}>{a}" for p, r, a in
                               zip(top["position"], top["reference"], top["alternative"])])
    top["predicted"] = ref_pred + top["change"]
    if measured is not None:
        top["percentile"] = _percentiles(measured, top["predicted"])
    return top


def report(run, sequence, ref_pred, scores, attr, method, top, traj, robust_fig, unit,
           measured, zmax) -> str:
    """The self-contained HTML report of the current sequence's analysis."""
    from app import export, figures
    from promoter_model.dream import percentile

    pct = percentile(measured, ref_pred)
    sections = [
        ("In-silico mutagenesis", figures.ism_heatmap(scores, sequence, zmax=zmax, unit=unit,
                                                     reference=ref_pred)),
    ]
    if attr is not None and method != "ism":
        sections.append((f"Attribution logo: {METHODS.get(method, method)}",
                         figures.attribution_logo(attr, title=LOGO_TITLES.get(method, method))))
    # the ISM logo once, named for what it plots (positive: mutating the base lowers
    # expression); N positions (NaN scores) have no letter
    from promoter_model.interpret.ism import logo_matrix

    sections.append((ISM_LOGO_TITLE, figures.attribution_logo(
        logo_matrix(scores, sequence), ylabel=f"expression lost ({unit})")))
    sections += [("Strongest single mutations", top),
                 ("Mutation trajectory", traj),
                 ("Mutational robustness", robust_fig)]
    return export.html_report(
        title="Promoter analysis", sequence=sequence,
        prediction=f"{ref_pred:.3f} {unit} ({pct:.0f}th percentile of measured test "
                   "expression)",
        sections=sections, model_card=run.model_card, run_name=run.name)
