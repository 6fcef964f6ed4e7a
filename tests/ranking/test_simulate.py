"""Simulated screening: the metrics on hand-made orders, and ``livereview simulate`` on a small labelled CSV."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pytest

from livereview.ranking.simulate import choose_priors, metrics, simulate

TOPIC_WORDS = ["homework", "between", "sessions", "therapy", "clients", "adherence", "coaching", "assignments"]
OTHER = ["soil nitrogen maize irrigation", "steel corrosion coastal bridges", "exoplanet transit photometry",
         "traffic flow intersections", "bond markets interest rates", "glacier altimetry satellites"]


def test_metrics_of_a_known_order():
    # 10 records, includes found 1st and 4th: 95% of 2 includes = both, found after 4 records
    m = metrics([1, 0, 0, 1, 0, 0, 0, 0, 0, 0])
    assert (m.n, m.includes) == (10, 2)
    assert m.wss95 == pytest.approx(1 - 4 / 10 - 0.05)
    assert m.recall10 == pytest.approx(0.5)            # 10% = 1 record screened: 1 of 2 includes
    assert m.atd == pytest.approx((0 + 3) / 2 / 10)    # records screened before each include, as a share


def test_a_perfect_order_and_the_worst_order_bound_the_metrics():
    best = metrics([1] * 5 + [0] * 95)
    worst = metrics([0] * 95 + [1] * 5)
    assert best.wss95 == pytest.approx(0.9) and best.recall10 == 1.0 and best.atd == pytest.approx(0.02)
    assert worst.wss95 == pytest.approx(-0.05) and worst.recall10 == 0.0 and worst.atd > 0.9


def test_metrics_refuse_an_order_without_includes():
    with pytest.raises(ValueError, match="no include"):
        metrics([0, 0, 0])


def labelled_rows(n_inc: int = 12, n_exc: int = 120):
    rows = []
    for i in range(n_inc):
        words = " ".join(TOPIC_WORDS[(i + k) % len(TOPIC_WORDS)] for k in range(6))
        rows.append({"title": f"Homework in therapy {i}", "abstract": f"Clients and {words} study {i}.", "label": 1})
    for i in range(n_exc):
        topic = OTHER[i % len(OTHER)]
        rows.append({"title": f"{topic} report {i}", "abstract": f"We surveyed {topic} in region {i}.", "label": 0})
    # interleave deterministically so file order tells nothing
    return [rows[(i * 37) % len(rows)] for i in range(len(rows))]


def write_csv(path, rows, label="included"):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["title", "abstract", label])
        w.writeheader()
        for r in rows:
            w.writerow({"title": r["title"], "abstract": r["abstract"], label: r["label"]})
    return path


def test_simulation_finds_the_includes_of_an_easy_set_early_and_leaves_the_priors_out():
    rows = labelled_rows()
    texts = [r["title"] + " " + r["abstract"] for r in rows]
    labels = [r["label"] for r in rows]
    order, m = simulate(texts, labels, seed=3)
    assert order[:2] == choose_priors(labels, 3)
    assert (m.n, m.includes) == (len(rows) - 2, 11)
    assert m.recall10 == 1.0 and m.wss95 > 0.8
    assert simulate(texts, labels, seed=3)[0] == order, "the same seed gives the same order"


def test_a_set_with_a_single_include_cannot_be_simulated():
    with pytest.raises(ValueError, match="at least 2 included"):
        simulate(["a b", "c d", "e f"], [1, 0, 0])


def cli(*args):
    return subprocess.run([sys.executable, "-m", "livereview.cli", "simulate", *map(str, args)],
            capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)


def test_the_command_prints_json_metrics_last_and_finds_the_label_column(tmp_path):
    path = write_csv(tmp_path / "set.csv", labelled_rows(), label="label_included")
    res = cli(path, "--seed", "1", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert {"wss95", "recall10", "atd", "n", "seconds"} <= set(out) and out["n"] == 130 and out["recall10"] == 1.0
    assert {"stop_at", "stop_recall", "stop_work_saved"} <= set(out)
    assert out["stop_at"] is None or (0 < out["stop_at"] <= 130 and out["stop_work_saved"] == round(
        1 - out["stop_at"] / 130, 4))
    plain = cli(path, "--seed", "1")
    assert plain.returncode == 0 and "WSS@95" in plain.stdout and "recall@10%" in plain.stdout
    assert "stopping rule (95% recall, 95% confidence)" in plain.stdout


def test_the_simulation_reports_where_the_stopping_rule_fires_and_the_recall_there():
    rows = labelled_rows(n_inc=12, n_exc=600)
    texts = [r["title"] + " " + r["abstract"] for r in rows]
    labels = [r["label"] for r in rows]
    _, m = simulate(texts, labels, seed=2)
    assert m.stop_at is not None and m.stop_at < m.n, "an easy set lets the team stop early"
    assert m.stop_recall >= 0.95 and m.stop_work_saved == round(1 - m.stop_at / m.n, 4)
    _, strict = simulate(texts, labels, seed=2, target_recall=0.99, stop_confidence=0.99)
    assert strict.stop_at is None or strict.stop_at >= m.stop_at, "a stricter rule never stops earlier"


def test_the_command_takes_a_named_label_column_and_refuses_bad_labels_in_one_line(tmp_path):
    path = write_csv(tmp_path / "set.csv", labelled_rows(), label="relevant")
    assert cli(path).returncode == 3
    missing = cli(path)
    assert "no label column included or label_included" in missing.stderr and "Traceback" not in missing.stderr
    assert cli(path, "--label-column", "relevant", "--json").returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("title,abstract,included\nA,B,1\nC,D,yes\n", encoding="utf-8")
    res = cli(bad)
    assert res.returncode == 3 and res.stderr.strip().count("\n") == 0 and "bad.csv:3" in res.stderr


def test_column_names_are_matched_in_any_case(tmp_path):
    from livereview.ranking.simulate import read_labelled_csv

    path = tmp_path / "caps.csv"
    path.write_text("Title,Abstract,Label_Included\nHomework,In therapy,1\nSoil,Maize,0\n", encoding="utf-8")
    assert read_labelled_csv(path) == (["Homework . Homework . In therapy", "Soil . Soil . Maize"], [1, 0])
