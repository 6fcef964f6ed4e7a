"""Replayed API answers for the chase and search-validation tests (recorded real shapes, see the MANIFESTs)."""

from __future__ import annotations

import email
import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import responses

from livereview.connectors.crossref.search import make_client as crossref_client
from livereview.connectors.europepmc.search import make_client as epmc_client
from livereview.connectors.openalex.search import make_client as oa_client
from livereview.connectors.pubmed.search import make_client as pubmed_client
from livereview.flows.chase import Clients
from livereview.settings import Settings

FIX = Path(__file__).resolve().parents[1] / "fixtures"
OA, CR, EP, PM = ("https://api.openalex.test/", "https://api.crossref.test/", "https://epmc.test/rest/",
                  "https://eutils.test/")
RETRACTED_DOI = "10.1037/0022-006x.73.4.749"     # S19 (Carroll, Nich & Ball 2005)
S39_DOI = "10.1016/j.beth.2016.05.002"
TODAY = date(2026, 12, 1)


def plain_text(eml: Path) -> str:
    msg = email.message_from_bytes(eml.read_bytes())
    return next(p.get_payload(decode=True).decode() for p in msg.walk() if p.get_content_type() == "text/plain")


def load(name: str) -> bytes:
    return (FIX / name).read_bytes()


def api_settings(tmp_path: Path) -> Settings:
    return Settings(openalex_base_url=OA, crossref_base_url=CR, europepmc_base_url=EP, pubmed_base_url=PM,
                    openalex_api_key="oa-secret", data_dir=tmp_path, outbox_dir=tmp_path / "outbox")


def clients(settings: Settings) -> Clients:
    quiet = {"sleep": lambda _: None}
    return Clients(oa_client(settings, per_second=1000, **quiet), epmc_client(settings, **quiet),
                   crossref_client(settings, per_second=1000, **quiet), pubmed_client(settings, **quiet))


def openalex_answer(request):
    """OpenAlex by filter: the DOI look-up of the includes, S39's references, the works citing S39."""
    flt = parse_qs(urlsplit(request.url).query)["filter"][0]
    if flt.startswith("doi:"):
        assert S39_DOI in flt.split(":", 1)[1].split("|")
        return 200, {}, load("openalex/chase_lookup_included.json")
    if flt.startswith("openalex_id:"):
        return 200, {}, load("openalex/chase_references.json")
    if flt == "cites:W2401234567":
        return 200, {}, load("openalex/chase_citing.json")
    return 400, {}, json.dumps({"error": f"unexpected filter {flt}"})


def crossref_answer(request):
    """``/works?filter=doi:…,doi:…``: the recorded empty work-list envelope holding the items Crossref knows."""
    flt = parse_qs(urlsplit(request.url).query)["filter"][0]
    dois = {f.split(":", 1)[1] for f in flt.split(",")}
    body = json.loads(load("crossref/worklist_zero_results.json"))
    item = json.loads(load("crossref/work_included_retracted_by_retraction_watch.json"))["message"]
    body["message"]["items"] = [item] if RETRACTED_DOI in dois else []
    body["message"]["total-results"] = len(body["message"]["items"])
    return 200, {}, json.dumps(body)


def replay(rsps: responses.RequestsMock) -> None:
    rsps.add_callback(responses.GET, OA + "works", callback=openalex_answer)
    rsps.add_callback(responses.GET, CR + "works", callback=crossref_answer)
    rsps.get(CR + "works/" + RETRACTED_DOI, body=load("crossref/work_included_retracted_by_retraction_watch.json"))
    rsps.get(re.compile(re.escape(CR) + r"works/10\..*"), status=404,
             body=load("crossref/error_404_resource_not_found.txt"))
    # the seed's PMIDs (S16, S18, S19, S46): PubMed and Europe PMC have no notice about them here
    rsps.post(PM + "efetch.fcgi", body=load("pubmed/efetch_37909814_empty_articleset.xml"))
    rsps.get(EP + "search", body=load("europepmc/search_no_results.json"))


