"""The pages' one-file HTML reports: a sequence's analysis (Mutagenesis) and a design
session (Design), each assembled from the page's figures and tables by
:func:`app.export.html_report`.
"""

from __future__ import annotations

from app import export, figures
from app.trajectory import ISM_LOGO_TITLE, LOGO_TITLES, METHODS

#: what a design is and is not; shown on the page and in the report
WHAT_IT_IS = (
    "A design is a hypothesis for the bench: a sequence the model predicts to express as "
    "asked. The model was trained on one condition (the DREAM 2022 yeast library in one "
    "medium), so a design is not a measured promoter, and a large predicted change from a "
    "few edits is where models are least tested. Order a few designs with their start and "
    "measure them.")


def sequence_report(run, sequence, ref_pred, scores, attr, method, top, traj, robust_fig,
                    unit, measured, zmax, spread=None, interval_text: str = "") -> str:
    """The self-contained HTML report of the Mutagenesis page's sequence analysis.

    ``spread`` is ``(sd, disagree)`` of an ensemble's ISM (the heatmap marks the cells where
    the members disagree on the sign); ``interval_text`` follows the prediction (e.g. its
    interval, or that none is available).
    """
    from promoter_model.dream import percentile

    pct = percentile(measured, ref_pred)
    sd, disagree = spread if spread is not None else (None, None)
    sections = [
        ("In-silico mutagenesis" + (" (x: the members disagree on the sign)"
                                    if disagree is not None else ""),
         figures.ism_heatmap(scores, sequence, zmax=zmax, unit=unit, reference=ref_pred,
                             sd=sd, disagree=disagree)),
    ]
    if attr is not None and method != "ism":
        sections.append((f"Attribution logo: {METHODS.get(method, method)}",
                         figures.attribution_logo(attr, title=LOGO_TITLES.get(method, method))))
    # the ISM logo once, named for what it plots (positive: mutating the base lowers
    # expression); N positions (NaN scores) have no letter
    from promoter_model.interpret.ism_summary import logo_matrix

    sections.append((ISM_LOGO_TITLE, figures.attribution_logo(
        logo_matrix(scores, sequence), ylabel=f"expression lost ({unit})")))
    sections += [("Strongest single mutations", top),
                 ("Mutation trajectory", traj),
                 ("Mutational robustness", robust_fig)]
    return export.html_report(
        title="Promoter analysis", sequence=sequence,
        prediction=f"{ref_pred:.3f} {unit} ({pct:.0f}th percentile of measured test "
                   f"expression){interval_text}",
        sections=sections, model_card=run.model_card, run_name=run.name)


def design_report(run_name: str, model_card, result, figures_: list, held_out=None) -> str:
    """Return the self-contained HTML report of a design session."""
    obj = result.objective
    goal = (f"reach {obj.target:.3f} (± {obj.tolerance:g})" if obj.kind == "target"
            else {"maximize": "maximise", "minimize": "minimise"}[obj.kind])
    start = result.table.iloc[0]
    sections = [("What a design is and is not", WHAT_IT_IS),
                ("Settings", f"Objective: {goal}; strategy: {result.strategy}; "
                             f"{len(result.designs)} design(s) in {result.seconds:.1f} s; "
                             + ("; ".join(result.notes) or "no notes")),
                ("Designs", result.table)]
    sections += figures_
    sections.append(("Trajectories (every step)", result.trajectories.drop(
        columns=["sequence"])))
    if held_out is not None:
        sections.append(("Held-out member check", held_out))
    return export.html_report(
        title="Promoter designs", sequence=result.start,
        prediction=f"start: {start['prediction']:.3f} {result.unit}",
        sections=sections, model_card=model_card, run_name=run_name)
