"""``livereview simulate`` and ``livereview rank``: measure the ranker on a labelled set; retrain it on the store.

``simulate`` never touches the store: it reads a labelled CSV and screens it in model order as ASReview's
simulation studies do (see :mod:`ranking.simulate`). ``rank`` trains on the store's decisions and persists a
score and "why" terms for every open work, so the web queue and the digest read them without waiting.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from livereview.cli.shared import ProtocolOpt, app
from livereview.store.context import open_store


@app.command("simulate")
def simulate(
    file: Annotated[Path, typer.Argument(help="Labelled CSV: title, abstract and a 0/1 label column.")],
    label_column: Annotated[str | None, typer.Option("--label-column", help="Name of the 0/1 label column "
                                                     "(default: included or label_included).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed choosing the prior include and exclude.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="End with one JSON object of the metrics.")] = False,
    target_recall: Annotated[float, typer.Option("--target-recall", min=0.01, max=0.99, help="Recall the stopping "
                                                 "rule must reach (the protocol's review.target_recall).")] = 0.95,
    stop_confidence: Annotated[float, typer.Option("--stop-confidence", min=0.01, max=0.99, help="Confidence the "
                                                   "stopping rule needs (review.stop_confidence).")] = 0.95,
) -> None:
    """Simulate screening a labelled set in ranked order and print WSS@95, recall@10%, ATD and where the
    stopping rule fires.

    One random include and one random exclude (chosen by --seed) start the model; it retrains as labels
    arrive; the priors are left out of every count.
    """
    from livereview.errors import InputFileError
    from livereview.ranking.simulate import read_labelled_csv
    from livereview.ranking.simulate import simulate as run_simulation

    texts, labels = read_labelled_csv(file, label_column)
    try:
        _, m = run_simulation(texts, labels, seed=seed, target_recall=target_recall, stop_confidence=stop_confidence)
    except ValueError as exc:
        raise InputFileError(file, str(exc)) from None
    if as_json:
        typer.echo(json.dumps({"file": str(file), "seed": seed} | m.as_dict()))
        return
    typer.echo(f"{file}: {m.n} records, {m.includes} includes (priors left out), seed {seed}")
    typer.echo(f"WSS@95 {m.wss95:.3f}  recall@10% {m.recall10:.3f}  ATD {m.atd:.3f}  "
               f"({m.fits} fits, {m.seconds:.1f} s)")
    if m.stop_at is None:
        typer.echo(f"stopping rule ({target_recall:.0%} recall, {stop_confidence:.0%} confidence): never fires before "
                   "everything is screened")
    else:
        typer.echo(f"stopping rule ({target_recall:.0%} recall, {stop_confidence:.0%} confidence): fires after "
                   f"{m.stop_at} of {m.n} records, recall {m.stop_recall:.3f}, work saved {m.stop_work_saved:.3f}")


@app.command("rank")
def rank(
    protocol: ProtocolOpt = None,
    if_needed: Annotated[bool, typer.Option("--if-needed", help="Only retrain when works arrived, an include was "
                                            "decided or 10 decisions piled up since the last training.")] = False,
) -> None:
    """Retrain the ranker on the store's decisions and save a score and reasons for every open work."""
    from livereview.ranking import retrain_if_changed
    from livereview.ranking.service import retrain

    with open_store(protocol) as opened:
        engine, proto = opened.engine, opened.protocol
        rep = retrain_if_changed(engine, proto) if if_needed else retrain(engine, proto)
    if rep is None:
        typer.echo("ranking is up to date: no new work, no include and fewer than 10 decisions since the last "
                   "training")
        return
    typer.echo(f"ranking #{rep.id}: {rep.method} on {rep.n_included} included and {rep.n_excluded} excluded, "
               f"{rep.n_scored} open works scored in {rep.seconds:.1f} s")
