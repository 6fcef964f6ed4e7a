"""Settings, declared once: every ``LIVEREVIEW_*`` environment variable lives here with its default and help.

Secrets (API keys, the SMTP URL with its password) are ``SecretStr`` so they never appear in a
repr, a log line or the database. Settings are built by the entry point (CLI, flow) and passed
in; nothing reads the environment at import time.
"""

from __future__ import annotations

import difflib
import importlib.util
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from livereview import __version__
from livereview.addresses import check_sender
from livereview.errors import ConfigError
from livereview.secrets import remember_settings

log = logging.getLogger(__name__)

# LIVEREVIEW_* variables read by something other than Settings (so they are not typos)
OTHER_KNOWN_VARIABLES = frozenset({"LIVEREVIEW_TEST_POSTGRES_URL"})
_warned: set[str] = set()



def _package_folder(name: str) -> Path:
    """Where an installed subpackage's files are, found without importing it (the ground floor imports nothing
    of ours): ``livereview.protocols`` holds the bundled protocol and its seed corpus as package data."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"package {name} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


BUNDLED_PROTOCOL = _package_folder("livereview.protocols") / "ia-coaching.toml"


def default_data_dir() -> Path:
    """Where the embedded SQLite database and the digest outbox live unless told otherwise."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "livereview"


class Settings(BaseSettings):
    """All configuration. Field name ``x`` is read from environment variable ``LIVEREVIEW_X``."""

    model_config = SettingsConfigDict(env_prefix="LIVEREVIEW_", extra="ignore", validate_default=True)

    data_dir: Path = Field(default_factory=default_data_dir,
                           description="Folder for the default SQLite database and the digest outbox.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the store; default: SQLite file `livereview.db` in the data dir. "
        "PostgreSQL: `postgresql+psycopg://user@host:5432/db`.")
    protocol: Path = Field(BUNDLED_PROTOCOL, description="Review protocol file (TOML) the commands use by default.")
    contact_email: str | None = Field(
        None, description="Contact e-mail sent to sources (NCBI `email`, Crossref `mailto`, User-Agent). "
        "Strongly recommended: polite pools and higher limits.")
    ncbi_api_key: SecretStr | None = Field(None, description="NCBI E-utilities API key (10 requests/s instead of 3).")
    openalex_api_key: SecretStr | None = Field(
        None, description="OpenAlex API key; required by OpenAlex since 2026, the source is skipped without it.")
    crossref_plus_token: SecretStr | None = Field(None, description="Crossref Metadata Plus token (optional).")
    pubmed_base_url: str = Field("https://eutils.ncbi.nlm.nih.gov/entrez/eutils/",
                                 description="E-utilities root (for proxies, mirrors and tests).")
    crossref_base_url: str = Field("https://api.crossref.org/", description="Crossref REST API root.")
    europepmc_base_url: str = Field("https://www.ebi.ac.uk/europepmc/webservices/rest/",
                                    description="Europe PMC REST root.")
    openalex_base_url: str = Field("https://api.openalex.org/", description="OpenAlex API root.")
    http_timeout: float = Field(30.0, gt=0, description="Seconds before an HTTP request times out (connect and read).")
    http_retries: int = Field(5, ge=0, description="Retries on 429, 5xx and connection errors, with backoff.")
    http_backoff_max: float = Field(
        60.0, ge=0, description="Longest wait between retries, seconds (also caps Retry-After).")
    task_retries: int = Field(2, ge=0, description="Times the monitor retries a source's whole window after the HTTP "
                              "retries are spent (network trouble; never for a refused query).")
    accept_volume: bool = Field(
        False, description="Scheduled (unattended) monitor runs: start a first backfill run even when its estimated "
        "volume exceeds the protocol's weekly_capacity x volume_factor (the CLI's --accept-volume).")
    task_retry_delay: float = Field(
        60.0, ge=0, description="Seconds before the first window retry (doubles each time).")
    smtp_url: SecretStr | None = Field(
        None, description="Mail server: `smtp://[user:password@]host:port` (plain), `smtp+tls://…` (STARTTLS) "
        "or `smtp+ssl://…` (implicit TLS). Unset: digests go to the outbox only.")
    smtp_ca_file: Path | None = Field(
        None, description="CA bundle used to verify the mail server's certificate (private CAs, tests).")
    digest_from: str = Field("livereview@localhost", description="From address of digests and alerts.")
    digest_to: str | None = Field(None, description="Comma-separated recipients; overrides the protocol's list.")
    outbox_dir: Path | None = Field(
        None, description="Folder for unsent digests (.eml + .html); default `<data dir>/outbox`.")
    maintainer_email: str | None = Field(
        None, description="Who is alerted when a scheduled run fails; default: the first digest recipient.")
    base_url: str | None = Field(None, description="Public URL of the web app, used for links in digests.")
    backup_dir: Path | None = Field(
        None, description="Folder of the nightly backups (`nightly-backup` deployment); default `<data dir>/backups`.")
    backup_keep: int = Field(14, ge=1, description="Nightly backups kept; older ones are deleted after a new one is "
                             "written.")
    log_level: str = Field("INFO", description="Logging level of the CLI and flows.")
    secret_key: SecretStr | None = Field(
        None, description="Web app: key that signs session cookies and CSRF tokens (32+ characters). Required by "
        "`livereview web`; changing it logs everybody out.")
    session_hours: float = Field(12.0, gt=0, description="Web app: hours a login lasts before signing in again.")
    unpaywall_base_url: str = Field("https://api.unpaywall.org/v2/",
                                    description="Unpaywall API root (open-access finder; asked with `contact_email`).")
    fulltext_recheck_days: int = Field(
        30, ge=1, description="Open-access finder: days before a record's cached full-text link is checked again.")
    pdf_max_mb: float = Field(50.0, gt=0, description="Web app: largest PDF a reviewer may attach to a record, in MB.")
    pdf_dir: Path | None = Field(
        None, description="Folder of attached PDFs (stored by content hash); default `<data dir>/attachments`, which "
        "backups include.")
    forwarded_allow_ips: str = Field(
        "127.0.0.1", description="Web app: comma-separated addresses of reverse proxies whose X-Forwarded-For / "
        "X-Forwarded-Proto headers are trusted (`*` for any).")
    upload_max_mb: float = Field(50.0, gt=0, le=2048, description="Web app: largest export file an admin may "
                                 "upload (megabytes); a bigger one is refused before it is read.")

    @field_validator("pubmed_base_url", "crossref_base_url", "europepmc_base_url", "openalex_base_url",
                     "unpaywall_base_url")
    @classmethod
    def _slash(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return v if v.endswith("/") else v + "/"

    def model_post_init(self, context: object, /) -> None:
        """Every secret held here is remembered, so :func:`livereview.secrets.scrub` masks it in any error text."""
        remember_settings(self)

    @field_validator("digest_from", "maintainer_email")
    @classmethod
    def _one_address(cls, v: str | None) -> str | None:
        """One e-mail address (``a@b`` or ``Name <a@b>``), checked like recipients: a CR or LF would inject headers."""
        return v if v is None else check_sender(v)

    @property
    def resolved_database_url(self) -> str:
        """The database URL in use: the setting, or a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'livereview.db').resolve()}"

    @property
    def resolved_backup_dir(self) -> Path:
        return self.backup_dir or (self.data_dir / "backups")

    @property
    def resolved_outbox_dir(self) -> Path:
        return self.outbox_dir or (self.data_dir / "outbox")

    @property
    def resolved_pdf_dir(self) -> Path:
        return self.pdf_dir or (self.data_dir / "attachments")

    @property
    def pdf_max_bytes(self) -> int:
        return int(self.pdf_max_mb * 1024 * 1024)

    def user_agent(self) -> str:
        """A descriptive User-Agent; includes the contact address when given (Crossref's polite pool)."""
        ua = f"livereview/{__version__} (living systematic review monitor"
        if self.contact_email:
            ua += f"; mailto:{self.contact_email}"
        return ua + ")"


def unknown_variables(environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """``LIVEREVIEW_*`` variables that are no setting (a typo is otherwise silently ignored) -> the closest known
    name, or None when nothing is close."""
    env = os.environ if environ is None else environ
    known = set(documented_settings()) | OTHER_KNOWN_VARIABLES
    found: dict[str, str | None] = {}
    for name in sorted(env):
        if name.upper().startswith("LIVEREVIEW_") and name.upper() not in known:
            # compare what follows the prefix, or every name would look close to every other
            suffixes = {k.removeprefix("LIVEREVIEW_"): k for k in known}
            close = difflib.get_close_matches(name.upper().removeprefix("LIVEREVIEW_"), sorted(suffixes), n=1,
                                              cutoff=0.6)
            found[name] = suffixes[close[0]] if close else None
    return found


def warn_unknown_variables() -> None:
    """Log one warning per unknown ``LIVEREVIEW_*`` variable, once per process."""
    for name, close in unknown_variables().items():
        if name in _warned:
            continue
        _warned.add(name)
        hint = f"did you mean {close}?" if close else "see `livereview config` for the settings"
        log.warning("%s is not a livereview setting and is ignored (%s)", name, hint)


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, turning validation errors into one clear line."""
    warn_unknown_variables()
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "LIVEREVIEW_" + str(err["loc"][0]).upper() if err.get("loc") else "settings"
        raise ConfigError(f"{name}: {err['msg']}") from exc


def documented_settings() -> dict[str, str]:
    """Environment variable name -> help text, for the README check and `livereview config`."""
    return {f"LIVEREVIEW_{name.upper()}": (field.description or "") for name, field in Settings.model_fields.items()}
