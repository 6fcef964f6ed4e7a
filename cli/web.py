"""``livereview web`` (serve the review team's app) and ``livereview user …`` (accounts)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from livereview.cli.shared import app
from livereview.errors import ConfigError, LiveReviewError
from livereview.store.context import open_store

user_app = typer.Typer(no_args_is_help=True, help="Web app accounts: add, list, disable, change passwords.")
app.add_typer(user_app, name="user")


class AccountCommandError(LiveReviewError):
    """A user command refused (name taken or unknown, weak password)."""

    exit_code = 2


@app.command("web")
def web(
    host: Annotated[str, typer.Option(help="Address to listen on (behind a reverse proxy keep 127.0.0.1).")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    public_dashboard: Annotated[bool, typer.Option(
        "--public-dashboard", help="Also serve /public/dashboard and /public/prisma without sign-in (no record-level "
        "data, no reviewer names).")] = False,
) -> None:
    """Serve the review team's web app: sign in, the screening queue, record pages, conflicts, agreement.

    Needs LIVEREVIEW_SECRET_KEY. Behind a reverse proxy set LIVEREVIEW_FORWARDED_ALLOW_IPS to the proxy's
    address so HTTPS is recognised (Secure cookies) and client addresses are right (login throttling).
    """
    import uvicorn

    from livereview.flows.file_import import UploadImporter
    from livereview.flows.fulltext import finder_for
    from livereview.web.app import create_app

    with open_store() as opened:
        settings = opened.settings
        web_app = create_app(settings, engine=opened.engine, protocol=opened.protocol,
                             fulltext_finder=finder_for(settings), importer=UploadImporter())
        web_app.state.public_dashboard = public_dashboard
        typer.echo(f"livereview web on http://{host}:{port}/ (Ctrl-C stops)", err=True)
        uvicorn.run(web_app, host=host, port=port, proxy_headers=True,
                    forwarded_allow_ips=settings.forwarded_allow_ips, server_header=False,
                    log_level=settings.log_level.lower(), access_log=False)


def _read_password(password_stdin: bool) -> str:
    if not password_stdin:
        raise ConfigError("give the password on standard input with --password-stdin (never as an argument)")
    text = sys.stdin.readline().rstrip("\r\n")
    if not text:
        raise AccountCommandError("no password on standard input")
    return text


PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line of "
                                             "standard input (at least 10 characters).")]


@user_app.command("add")
def user_add(name: Annotated[str, typer.Argument(help="Login name; also the reviewer name on decisions.")],
             admin: Annotated[bool, typer.Option("--admin", help="Admin: resolves conflicts, manages users, sees "
                                                 "everyone's decisions.")] = False,
             password_stdin: PasswordStdin = False) -> None:
    """Add a reviewer (or an admin with --admin)."""
    from livereview.store.accounts import AccountError, add_user
    from livereview.store.db import transaction
    from livereview.web.passwords import WeakPassword, hash_password

    try:
        hashed = hash_password(_read_password(password_stdin))
        with open_store(read_protocol=False) as opened, transaction(opened.engine) as s:
            user = add_user(s, name, hashed, admin=admin)
            role = user.role
    except (AccountError, WeakPassword) as exc:
        raise AccountCommandError(str(exc)) from exc
    typer.echo(f"user {name} added ({role})")


@user_app.command("list")
def user_list() -> None:
    """List the accounts: name, role, active or disabled."""
    from livereview.store.accounts import list_users
    from livereview.store.db import reading

    with open_store(read_protocol=False) as opened, reading(opened.engine) as s:
        users = list_users(s)
        for u in users:
            state = "active" if u.is_active else f"disabled {u.disabled_at:%Y-%m-%d}" if u.disabled_at else "disabled"
            typer.echo(f"{u.name:24} {u.role:8} {state}")
    if not users:
        typer.echo("no users yet: `livereview user add NAME --password-stdin`", err=True)


@user_app.command("disable")
def user_disable(name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Disable an account: its sessions end at once, its decisions stay."""
    from livereview.store.accounts import AccountError, disable_user, require_user
    from livereview.store.db import transaction

    try:
        with open_store(read_protocol=False) as opened, transaction(opened.engine) as s:
            ended = disable_user(s, require_user(s, name))
    except AccountError as exc:
        raise AccountCommandError(str(exc)) from exc
    typer.echo(f"user {name} disabled ({ended} session{'s' if ended != 1 else ''} ended)")


@user_app.command("enable")
def user_enable(name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Enable a disabled account again."""
    from livereview.store.accounts import AccountError, enable_user, require_user
    from livereview.store.db import transaction

    try:
        with open_store(read_protocol=False) as opened, transaction(opened.engine) as s:
            enable_user(s, require_user(s, name))
    except AccountError as exc:
        raise AccountCommandError(str(exc)) from exc
    typer.echo(f"user {name} enabled")


@user_app.command("passwd")
def user_passwd(name: Annotated[str, typer.Argument(help="Login name.")],
                password_stdin: PasswordStdin = False) -> None:
    """Set a new password; the user's open sessions end."""
    from livereview.store.accounts import AccountError, require_user, set_password
    from livereview.store.db import transaction
    from livereview.web.passwords import WeakPassword, hash_password

    try:
        hashed = hash_password(_read_password(password_stdin))
        with open_store(read_protocol=False) as opened, transaction(opened.engine) as s:
            ended = set_password(s, require_user(s, name), hashed)
    except (AccountError, WeakPassword) as exc:
        raise AccountCommandError(str(exc)) from exc
    typer.echo(f"password of {name} changed ({ended} session{'s' if ended != 1 else ''} ended)")
