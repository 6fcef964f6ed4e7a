"""`livereview duplicates`: the near miss two imports leave, listed, answered once, and the refusals."""

import json

from cli_runner import run_cli

RIS = ("TY  - JOUR\n"
       "TI  - Homework compliance and outcome in cognitive behavioural therapy for depression: a randomised trial\n"
       "{authors}PY  - {year}\nJO  - Cognitive Therapy and Research\n{locator}ER  - \n")


def test_a_near_miss_between_two_imports_is_listed_and_answered_once(tmp_path):
    env = {"LIVEREVIEW_DATA_DIR": str(tmp_path / "data")}
    assert run_cli("init", env=env).returncode == 0
    first = tmp_path / "first.ris"
    first.write_text(RIS.format(authors="AU  - Okafor, N. C.\nAU  - Lindqvist, E.\nAU  - Tanaka, H.\n", year=2024,
                                locator="VL  - 48\nSP  - 210\nEP  - 228\n"))
    second = tmp_path / "second.ris"
    second.write_text(RIS.format(authors="AU  - Okafor, Ngozi\n", year=2025, locator="SP  - 1\nEP  - 9\n"))
    for f, label in ((first, "psycinfo"), (second, "wos")):
        res = run_cli("import", str(f), "--source", label, env=env)
        assert res.returncode == 0, res.stderr
    listed = run_cli("duplicates", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    [pair] = data["pairs"]
    assert pair["status"] == "open" and pair["import"] is not None and pair["score"] >= 0.7
    assert any(b["open_pairs"] == 1 for b in data["batches"])
    answered = run_cli("duplicates", "answer", str(pair["pair"]), "distinct", "--actor", "ann", env=env)
    assert answered.returncode == 0 and "kept apart" in answered.stdout
    again = run_cli("duplicates", "answer", str(pair["pair"]), "merge", env=env)
    assert again.returncode == 2 and "already answered" in again.stderr and "Traceback" not in again.stderr
    assert "0 pair(s)" in run_cli("duplicates", "list", env=env).stdout
    assert json.loads(run_cli("duplicates", "list", "--status", "all", "--json", env=env).stdout)["pairs"][0][
        "status"] == "distinct"
    split = run_cli("duplicates", "split", "1", env=env)   # a seed record made its work: nothing to split
    assert split.returncode == 2 and "not joined by a matching rule" in split.stderr
    assert run_cli("duplicates", "list", "--run", "1", "--import", "1", env=env).returncode == 2
