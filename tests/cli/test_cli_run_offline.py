"""A newcomer's first ``make run`` (``livereview init`` then ``livereview run``) with no network: every source
unreachable. Each failure is said once — a numbered note under the summary table, the streams that failed for
that cause pointing at it — and the one-line hint follows; no failure is printed again above the table."""

import os
import re
import shutil
import socket
import subprocess
import sys

from livereview.settings import BUNDLED_PROTOCOL

SOURCES = ("PUBMED", "EUROPEPMC", "CROSSREF", "OPENALEX")


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): connections to it are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def livereview(*args, env):
    return subprocess.run([sys.executable, "-m", "livereview.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300)


def test_an_offline_first_run_says_each_failure_once_under_the_table_then_the_hint(tmp_path):
    port = closed_port()
    dead = f"http://127.0.0.1:{port}/"
    # the bundled protocol with its journal feeds moved to the closed port too (no DNS, no network needed)
    proto = tmp_path / "protocol"
    proto.mkdir()
    shutil.copy(BUNDLED_PROTOCOL.parent / "ia-coaching-included.csv", proto)
    shutil.copy(BUNDLED_PROTOCOL.parent / "ia-coaching-extraction.csv", proto)
    text = re.sub(r'url = "https://[^"]*"', lambda m: f'url = "{dead}feed{m.start()}.rss"',
                  BUNDLED_PROTOCOL.read_text(encoding="utf-8"))
    (proto / "ia-coaching.toml").write_text(text, encoding="utf-8")
    env = {"LIVEREVIEW_DATA_DIR": str(tmp_path / "data"), "LIVEREVIEW_PROTOCOL": str(proto / "ia-coaching.toml"),
           "PREFECT_API_URL": ""} | {f"LIVEREVIEW_{s}_BASE_URL": dead for s in SOURCES}
    env["LIVEREVIEW_OPENALEX_API_KEY"] = ""  # a newcomer has none: OpenAlex is skipped, one note says why
    assert livereview("init", env=env).returncode == 0

    res = livereview("run", env=env)

    assert res.returncode == 4, res.stderr
    out, err = res.stdout.splitlines(), res.stderr.splitlines()
    table = [line for line in out if re.match(r"^(pubmed|europepmc|crossref|openalex|feeds):", line)]
    assert len(table) >= 10
    notes = [line for line in out if line.startswith("[")]
    # one note per cause: the three APIs refused, OpenAlex skipped for want of a key, each distinct feed host
    # (all feeds are on the one closed port here: the first failure, the others not tried)
    causes = {"pubmed", "europepmc", "crossref", "openalex", "feeds"}
    assert len(notes) == len(causes), res.stdout
    for cause in causes:
        assert sum(line.startswith(f"[{n}] {cause}:") for n in range(1, 9) for line in notes) == 1, cause
    for row in table:  # every stream that did not succeed points at its note
        assert re.search(r"(failed|skipped) \[\d\]", row), row
    # the refused URLs appear once each, in the notes, never again on stderr
    assert sum(dead in line for line in out) == len(causes) - 1  # OpenAlex was never asked (no key)
    assert not any(dead in line or "refused" in line for line in err), res.stderr
    assert not any(re.match(r"^(error|warning): (pubmed|europepmc|crossref|openalex|feeds):", line) for line in err)
    assert err[-1].startswith("no network: no source could be reached; `make demo`"), res.stderr
    assert len(out) + len(err) <= len(table) + len(notes) + 6, (res.stdout, res.stderr)
