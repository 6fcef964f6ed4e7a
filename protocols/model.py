"""The registered review protocol as typed, validated data.

A protocol file (TOML) holds what the review registered: identity and version, date floor,
languages, search concepts (and named expansion blocks), how concepts combine, per-source
settings and overrides, inclusion/exclusion criteria (the menu of exclusion reasons), digest
recipients and schedules. Loading validates everything up front so a bad file fails with one
line naming the file, the field and the problem — before anything is written.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from livereview.addresses import check_recipients
from livereview.errors import ProtocolError
from livereview.protocols.extraction import Appraisal, Extraction
from livereview.records.vocabulary import FULL_TEXT, SOURCES, TITLE_ABSTRACT, Stage

SOURCE_NAMES = tuple(SOURCES)
CORE_QUERY = "core"

_TERM_RE = re.compile(r"^[\w][\w'’\- /&.]*\*?$", re.UNICODE)
#: words every source's query language reads as boolean or proximity operators, never as search terms
OPERATOR_WORDS = frozenset({"and", "or", "not", "near", "adj", "same", "with"})
#: the oldest date floor: the sources' indexes (MEDLINE back to the 1940s, Crossref and OpenAlex further) are sliced
#: into yearly backfill windows, and a floor centuries back only plans thousands of empty windows
EARLIEST_DATE_FLOOR = date(1900, 1, 1)
_OPERATOR_RE = re.compile(r"\b(AND|OR|NOT)\b")


def check_query_text(text: str) -> None:
    """A hand-written query is checked like a generated one: balanced quotes and parentheses, no dangling operator.

    Raises ValueError naming the problem; what is between double quotes is not looked into.
    """
    if not text.strip():
        raise ValueError("empty query")
    if any(ord(ch) < 32 and ch not in "\t\n" for ch in text):
        raise ValueError("control characters in the query")
    if text.count('"') % 2:
        raise ValueError("unbalanced double quote")
    depth = 0
    unquoted = re.sub(r'"[^"]*"', '""', text)
    for ch in unquoted:
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            raise ValueError("a closing parenthesis with no opening one")
    if depth:
        raise ValueError(f"unbalanced parentheses ({depth} left open)")
    if re.search(r"\(\s*\)", unquoted):
        raise ValueError("empty parentheses")
    tokens = [t for t in re.split(r"[\s()]+", unquoted) if t]
    ops = [bool(_OPERATOR_RE.fullmatch(t)) for t in tokens]
    if ops and (ops[0] and tokens[0] != "NOT" or ops[-1]):
        raise ValueError("the query starts or ends with a boolean operator")
    if any(a and b and tokens[i + 1] != "NOT" for i, (a, b) in enumerate(zip(ops, ops[1:], strict=False))):
        raise ValueError("two boolean operators in a row")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Concept(_Strict):
    """A named OR-group of search terms. ``*`` may end a single word (truncation), never sit in a phrase.

    ``title_terms`` are searched in the title only (a word too common in abstracts, such as ``assignment*``
    in "random assignment", that still marks the topic when a title uses it).
    """

    label: str
    terms: list[str] = Field(min_length=1)
    title_terms: list[str] = Field(default_factory=list)
    note: str | None = None

    @field_validator("terms", "title_terms")
    @classmethod
    def _terms_portable(cls, terms: list[str]) -> list[str]:
        seen: set[str] = set()
        for t in terms:
            if not t.strip() or t != t.strip():
                raise ValueError(f"term {t!r} is empty or has surrounding spaces")
            if not _TERM_RE.match(t):
                raise ValueError(f"term {t!r} has characters a search engine would misread "
                                 "(quotes, brackets, operators)")
            if "*" in t and (" " in t or "-" in t):
                raise ValueError(f"term {t!r}: truncation (*) is only portable on a single word, not in a phrase; "
                                 "list the phrase variants instead")
            if t.count("*") > 1 or ("*" in t and len(t.rstrip("*")) < 4):
                raise ValueError(f"term {t!r}: truncation needs a stem of at least 4 letters")
            if t.lower() in OPERATOR_WORDS:
                raise ValueError(f"term {t!r} is a boolean operator word: sources would read it as an operator, "
                                 "not a search term; drop it or make it part of a phrase")
            if t.lower() in seen:
                raise ValueError(f"term {t!r} is listed twice")
            seen.add(t.lower())
        return terms


class Expansion(Concept):
    """Extra terms for an existing concept, run as their own named query so their extra yield shows apart.

    ``active = false`` keeps a proposed block in the file (with its measured cost) without running it;
    adopting it is setting ``active = true`` and bumping ``review.version``.
    """

    extends: str
    active: bool = True


class NamedQuery(_Strict):
    """One named query of protocol 2.0+: its own AND-of-concepts plan, run and reported apart (per domain).

    ``subquery_of`` marks a query whose every hit is also a hit of another (e.g. null results within a domain):
    it is counted and reported (``protocol estimate``, validate-search), never fetched, so it adds no record
    the domain queries do not already bring.
    """

    label: str
    combine: list[list[str]] = Field(min_length=1)
    subquery_of: list[str] = Field(default_factory=list)
    note: str | None = None


class SearchPlan(_Strict):
    """How concepts combine: each inner list is an AND of concept names; the lists are OR-ed.

    Protocol 2.0 names its queries (``[search.queries.<name>]``); ``combine`` is then the union of the
    fetched queries' plans unless given.
    """

    combine: list[list[str]] = Field(default_factory=list)
    queries: dict[str, NamedQuery] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _some_plan(self) -> SearchPlan:
        if not self.combine and not self.queries:
            raise ValueError("search needs combine or at least one [search.queries.<name>]")
        return self

    @property
    def plan(self) -> list[list[str]]:
        """The whole boolean plan: ``combine``, or every fetched named query's groups."""
        if self.combine:
            return self.combine
        out: list[list[str]] = []
        for q in self.queries.values():
            if not q.subquery_of:
                out += [g for g in q.combine if g not in out]
        return out


class Criterion(_Strict):
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")
    text: str
    #: protocol 2.0: the exclusion reason a screener picks when a record fails this inclusion criterion
    reason: str | None = None
    #: protocol 2.0: where the paper itself departed from the criterion (shown to screeners beside it)
    exception: str | None = None


class Criteria(_Strict):
    inclusion: list[Criterion] = Field(min_length=1)
    exclusion: list[Criterion] = Field(min_length=1)


class Schedule(_Strict):
    cron: str
    timezone: str = "Europe/London"

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        from cronsim import CronSim, CronSimError

        try:
            CronSim(v, __import__("datetime").datetime(2025, 1, 1))
        except CronSimError as exc:
            raise ValueError(f"not a valid cron expression ({exc})") from exc
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v


class Digest(Schedule):
    recipients: list[str] = Field(default_factory=list)
    max_candidates: int = Field(15, ge=1)   # the top ones by relevance; the rest wait in the app ("N more")

    @field_validator("recipients")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        check_recipients(v)
        return v


class Feed(_Strict):
    journal: str
    url: str | None = Field(None, pattern=r"^https?://")   # 2.0: a journal may be listed for Crossref by ISSN only
    issn: str | None = None
    publisher: str | None = None
    included: int | None = Field(None, ge=0)   # included studies published there (why this feed was chosen)
    # -- issue 19: facts about a journal say where they were checked, and which were not (never a silent guess) --
    eissn: str | None = None                   # the electronic ISSN (Crossref's issn filter is given both)
    verified: str | None = None                # where the ISSN(s) / URL were checked
    unverified: list[str] = Field(default_factory=list)   # fields not confirmed by a public source (url, issn …)


class ManualDatabase(_Strict):
    """A database without a usable API: the query the team runs by hand, and how often the export is due.

    ``livereview import FILE --source <name>`` records which query (and protocol version) the file answers;
    the digest reminds the team when ``refresh_days`` have passed since the last import.
    """

    label: str
    platform: str | None = None
    query: str | None = None          # the exact query string to paste into the database's advanced search
    refresh_days: int = Field(90, ge=1, le=3650)
    exportable: bool = True           # False: no bulk export (Google Scholar); covered another way, see ``note``
    note: str | None = None


class Chase(Schedule):
    """Citation chasing and the evidence watch on the included studies (monthly by default)."""

    cron: str = "0 5 1 * *"
    #: most OpenAlex requests one chase may spend (OpenAlex keys have a daily budget); the rest waits for next run
    openalex_budget: int = Field(1000, ge=1)
    #: re-fetch a study's citations only when this many days passed since its last successful chase
    refresh_days: int = Field(28, ge=0)
    directions: list[Literal["backward", "forward"]] = Field(default_factory=lambda: ["backward", "forward"])


class SourceConfig(_Strict):
    """Per-source settings; ``overrides`` replace a generated query (by query name) with hand-written text."""

    enabled: bool = True
    field: str | None = None                # field tag / field name the generator uses
    overlap_days: int = Field(7, ge=0, le=365)
    backfill_slice_days: int = Field(366, ge=1)
    overrides: dict[str, str] = Field(default_factory=dict)
    filter_client_side: bool = False        # apply the concept filter to what comes back (Crossref, feeds)
    types: list[str] = Field(default_factory=list)
    feeds: list[Feed] = Field(default_factory=list)
    # -- protocol 2.0 (optional, so every stored 1.x text still loads) -------------------------------------------
    title_field: str | None = None          # field for a concept's title_terms (PubMed ti, Europe PMC TITLE)
    keyword_field: str | None = None        # author-keyword field ORed with ``field`` (Europe PMC KW)
    scope: str | None = None                # a source restriction ANDed to every query (Europe PMC SRC:MED OR …)
    issns: list[Feed] = Field(default_factory=list)   # Crossref: journals whose table of contents is read by ISSN
    fields_searched: str | None = None      # in words: which of titles / abstracts / keywords the source searches
    unverified: list[str] = Field(default_factory=list)   # statements about the source not confirmed by its docs

    @field_validator("overrides")
    @classmethod
    def _overrides_are_queries(cls, v: dict[str, str]) -> dict[str, str]:
        for name, text in v.items():
            try:
                check_query_text(text)
            except ValueError as exc:
                raise ValueError(f"override {name!r}: {exc}") from None
        return v


class Deviation(_Strict):
    """A departure from the registered/published methods (PRISMA-S: added sources, changed strings), logged."""

    what: str
    why: str
    source: str | None = None


class Review(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(min_length=1)
    title: str
    registration: str | None = None
    seed_paper: str | None = None
    date_floor: date
    languages: list[str] = Field(default_factory=lambda: ["eng"])
    seed_corpus: str | None = None
    reviewers_per_record: int = Field(2, ge=1, le=5)   # both stages, unless set per stage below
    #: per stage (the seed paper used the same three at both; teams often use two at full text)
    reviewers_title_abstract: int | None = Field(None, ge=1, le=5)
    reviewers_full_text: int | None = Field(None, ge=1, le=5)
    peer_reviewed_only: bool = False   # exclude preprints at the source where the API allows it
    # the stopping rule (ranking.stopping): stop screening once this share of the includes is found with this
    # confidence; older protocol files without them get the defaults
    target_recall: float = Field(0.95, gt=0, lt=1)
    stop_confidence: float = Field(0.95, gt=0, lt=1)
    # -- protocol 2.0 (optional, so every stored 1.x text still loads) -------------------------------------------
    #: where the search strings come from (e.g. a reconstruction from the paper's keyword sentence); PRISMA-S log
    search_provenance: str | None = None
    #: records the team can screen per week; ``protocol estimate`` compares the expected yield with it
    weekly_capacity: int | None = Field(None, ge=1)
    #: a first (backfill) run whose estimate exceeds capacity by more than this factor stops before fetching
    volume_factor: float = Field(3.0, gt=0)
    #: the previous version's search date: growth and PRISMA count new studies from here
    baseline_date: date | None = None

    @field_validator("date_floor")
    @classmethod
    def _not_future(cls, v: date) -> date:
        if v > date.today():
            raise ValueError("date floor is in the future")
        if v < EARLIEST_DATE_FLOOR:
            raise ValueError(f"date floor {v.isoformat()} is before {EARLIEST_DATE_FLOOR.year}: the sources index "
                             "little before then and the backfill would plan one window a year since")
        return v

    @property
    def reviewers_by_stage(self) -> dict[Stage, int]:
        """Independent votes each stage needs: the per-stage setting, else ``reviewers_per_record``."""
        return {TITLE_ABSTRACT: self.reviewers_title_abstract or self.reviewers_per_record,
                FULL_TEXT: self.reviewers_full_text or self.reviewers_per_record}


class Living(_Strict):
    """The living-review rules (Cochrane LSR guidance): how often the searches run, what calls for a new version
    of the review, and when the living mode stops. ``store.releases.fired_triggers`` reads them."""

    #: the search frequency, in words (the ``[monitor]`` cron runs it)
    search_frequency: str = "weekly"
    #: a new version is due once this many studies are included since the last version
    new_version_includes: int = Field(5, ge=1)
    #: ... or as soon as one new study is included in one of these domains (``works.domain``)
    new_version_domains: list[str] = Field(default_factory=list)
    #: ... or as soon as an included study is retracted
    new_version_on_retraction: bool = True
    #: the living mode ends on this day (searches stop, a last version is released)
    stop_after: date | None = None
    #: when else the living mode stops, in words (e.g. no new include for two years)
    stop_when: str | None = None


class Theme(_Strict):
    """A theme of the synthesis, with the published review's conclusion on it."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    label: str
    conclusion: str = ""


class Synthesis(_Strict):
    """The synthesis themes a reviewer tags each new include with (``livereview theme``)."""

    themes: list[Theme] = Field(default_factory=list)

    @field_validator("themes")
    @classmethod
    def _unique(cls, v: list[Theme]) -> list[Theme]:
        ids = [t.id for t in v]
        if len(ids) != len(set(ids)):
            raise ValueError("theme ids must be unique")
        return v


class Protocol(_Strict):
    """A whole protocol file. ``path`` and ``sha256`` are filled by :func:`load_protocol`."""

    schema_version: Literal[1] = Field(1, alias="schema")
    review: Review
    concepts: dict[str, Concept] = Field(min_length=1)
    expansions: dict[str, Expansion] = Field(default_factory=dict)
    search: SearchPlan
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    criteria: Criteria
    digest: Digest
    monitor: Schedule = Schedule(cron="0 6 * * 1")
    chase: Chase = Chase()
    manual: dict[str, ManualDatabase] = Field(default_factory=dict)
    deviations: list[Deviation] = Field(default_factory=list)
    #: issue 21: the variables extracted from each include, and the QATSDD appraisal (optional: older texts load)
    extraction: Extraction | None = None
    appraisal: Appraisal = Appraisal()
    living: Living = Living()
    synthesis: Synthesis = Synthesis()
    path: str | None = Field(None, exclude=True)
    sha256: str | None = Field(None, exclude=True)
    text: str | None = Field(None, exclude=True, repr=False)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _references(self) -> Protocol:
        plans = [("search.combine", self.search.combine)]
        plans += [(f"search.queries.{n}.combine", q.combine) for n, q in self.search.queries.items()]
        for where, plan in plans:
            for i, group in enumerate(plan):
                if not group:
                    raise ValueError(f"{where}[{i}] is empty")
                for name in group:
                    if name not in self.concepts:
                        raise ValueError(f"{where}[{i}] names unknown concept {name!r} "
                                         f"(known: {', '.join(sorted(self.concepts))})")
        for n, q in self.search.queries.items():
            if n == CORE_QUERY or n in self.expansions:
                raise ValueError(f"search.queries.{n}: name clashes with the core query or an expansion")
            for parent in q.subquery_of:
                if parent not in self.search.queries or parent == n:
                    raise ValueError(f"search.queries.{n}.subquery_of names unknown query {parent!r}")
        for name, exp in self.expansions.items():
            if exp.extends not in self.concepts:
                raise ValueError(f"expansions.{name}.extends names unknown concept {exp.extends!r}")
            if name == CORE_QUERY or name in self.concepts:
                raise ValueError(f"expansions.{name}: name clashes with a concept or the core query")
        for name, cfg in self.sources.items():
            if name not in SOURCE_NAMES:
                raise ValueError(f"sources.{name}: unknown source (known: {', '.join(SOURCE_NAMES)})")
            for q in cfg.overrides:
                if q not in [CORE_QUERY, *self.search.queries, *self.expansions]:
                    raise ValueError(f"sources.{name}.overrides.{q}: no such query "
                                     f"(known: {', '.join(self.query_names)})")
        for name in self.manual:
            if name in SOURCE_NAMES:
                raise ValueError(f"manual.{name}: {name} is an API source; manual databases need another name")
            if not re.fullmatch(r"[a-z][a-z0-9-]*", name):
                raise ValueError(f"manual.{name}: name must be lower-case letters, digits and hyphens")
        ids = [c.id for c in self.criteria.inclusion + self.criteria.exclusion]
        if len(ids) != len(set(ids)):
            raise ValueError("criteria ids must be unique across inclusion and exclusion")
        exclusion_ids = {c.id for c in self.criteria.exclusion}
        for c in self.criteria.inclusion:
            if c.reason is not None and c.reason not in exclusion_ids:
                raise ValueError(f"criteria.inclusion {c.id}: reason {c.reason!r} is not an exclusion criterion id")
        if self.extraction is not None:
            fields = self.extraction.fields
            for key in ("publication_type_field", "design_field"):
                name = getattr(self.appraisal, key)
                if name not in fields:
                    raise ValueError(f"appraisal.{key}: {name!r} is not an extraction field")
            known = fields[self.appraisal.publication_type_field].choices
            for value in self.appraisal.not_appraised:
                if known and value not in known:
                    raise ValueError(f"appraisal.not_appraised: {value!r} is not a choice of "
                                     f"extraction.fields.{self.appraisal.publication_type_field}")
        return self

    # -- derived views ------------------------------------------------------------------------------------------
    @property
    def query_names(self) -> list[str]:
        """The queries that are fetched: core (or the named queries) and every active expansion."""
        return [*self.base_queries, *self.active_expansions]

    @property
    def base_queries(self) -> list[str]:
        """The fetched base queries: the named queries of protocol 2.0 (not sub-queries), else ``core``."""
        named = [n for n, q in self.search.queries.items() if not q.subquery_of]
        return named or [CORE_QUERY]

    @property
    def domains(self) -> list[str]:
        """The named domain queries (coaching, therapy-counselling) whose yields and PRISMA counts are reported
        apart, as the paper reported 64 / 1,273; empty for a protocol with only ``core``."""
        return [n for n in self.base_queries if n != CORE_QUERY]

    @property
    def counted_queries(self) -> list[str]:
        """Every query reported with a count (``protocol estimate``): fetched ones and sub-queries."""
        return [*self.base_queries, *[n for n, q in self.search.queries.items() if q.subquery_of],
                *self.active_expansions]

    def combine_for(self, query_name: str) -> list[list[str]]:
        """The AND-of-concepts plan of a query: a named query's own; core and expansions the whole plan."""
        if query_name in self.search.queries:
            return self.search.queries[query_name].combine
        return self.search.plan

    @property
    def active_expansions(self) -> dict[str, Expansion]:
        return {k: v for k, v in self.expansions.items() if v.active}

    def source(self, name: str) -> SourceConfig:
        return self.sources.get(name, SourceConfig())

    @property
    def enabled_sources(self) -> list[str]:
        return [s for s in SOURCE_NAMES if self.source(s).enabled]

    @property
    def exclusion_reasons(self) -> list[tuple[str, str]]:
        """The menu of reasons a reviewer picks from when excluding."""
        return [(c.id, c.text) for c in self.criteria.exclusion]

    def concept_terms(self, query_name: str) -> dict[str, list[str]]:
        """Concept name -> terms for a named query: core uses the concepts; an expansion swaps its concept's terms."""
        terms = {name: list(c.terms) for name, c in self.concepts.items()}
        if query_name != CORE_QUERY and query_name not in self.search.queries:
            exp = self.expansions[query_name]   # inactive blocks too: validate-search measures proposals
            terms[exp.extends] = list(exp.terms)
        return terms

    def title_terms(self, concept: str) -> list[str]:
        """Terms of a concept searched in titles only (protocol 2.0)."""
        c = self.concepts.get(concept)
        return list(c.title_terms) if c else []

    @property
    def seed_corpus_path(self) -> Path | None:
        if not self.review.seed_corpus:
            return None
        base = Path(self.path).parent if self.path else Path.cwd()
        return base / self.review.seed_corpus


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_protocol(text: str, path: str | Path = "<protocol>") -> Protocol:
    """Validate protocol TOML text; raises :class:`ProtocolError` naming the file, the field and the problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(str(path), f"not valid TOML: {exc}") from exc
    try:
        proto = Protocol.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(p for p in err.get("loc", ()) if p not in ("function-after[_references(), Protocol]",))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field (typo?)"
        elif err["type"] == "missing":
            msg = "required field is missing"
        raise ProtocolError(str(path), msg, field=_field_path(loc) or None) from exc
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    proto = proto.model_copy(update={"path": str(path), "sha256": digest, "text": text})
    seed = proto.seed_corpus_path
    if seed is not None and not seed.is_file():
        raise ProtocolError(str(path), f"seed corpus file not found: {seed}", field="review.seed_corpus")
    if proto.extraction is not None and proto.extraction.baseline:
        base = Path(str(path)).parent if proto.path and str(path) != "<protocol>" else Path.cwd()
        if not (base / proto.extraction.baseline).is_file():
            raise ProtocolError(str(path), f"extraction baseline file not found: {base / proto.extraction.baseline}",
                                field="extraction.baseline")
    return proto


def load_protocol(path: str | Path) -> Protocol:
    """Read and validate a protocol file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ProtocolError(str(p), "file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ProtocolError(str(p), f"cannot read: {exc}") from exc
    return parse_protocol(text, p.resolve())
