"""Engine calls and the report of the Design page (kept out of ``app/services.py``)."""

from __future__ import annotations

from app import services

#: what a design is and is not; shown on the page and in the report
WHAT_IT_IS = (
    "A design is a hypothesis for the bench: a sequence the model predicts to express as "
    "asked. The model was trained on one condition (the DREAM 2022 yeast library in one "
    "medium), so a design is not a measured promoter, and a large predicted change from a "
    "few edits is where models are least tested. Order a few designs with their start and "
    "measure them.")


def predictor(path: str, stamp: float):
    """Return the :class:`~promoter_model.predictor.Predictor` of a run or ensemble folder.

    The one cached load of :func:`app.services.get_predictor` (checks, warm-up, safe card).
    """
    return services.get_predictor(path, stamp)


def report(run_name: str, model_card, result, figures_: list, held_out=None) -> str:
    """Return the self-contained HTML report of a design session."""
    from app import export

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
