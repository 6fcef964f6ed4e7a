"""``livereview demo``: see the whole product offline, in a store of its own (see demo/run.py)."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from livereview.cli.shared import app
from livereview.errors import ConfigError
from livereview.store.context import open_store


@app.command("demo")
def demo(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Folder of the demo store and outbox "
                                                  "(default: a new temporary folder). Never the real data dir.")]
    = None,
    host: Annotated[str, typer.Option(help="Address the web app listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the web app (checked before anything is built).")] = 8000,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the web app afterwards (Ctrl-C stops).")]
    = True,
    weeks: Annotated[int, typer.Option(help="Weeks of simulated weekly monitor runs before today.", min=1, max=52)]
    = 6,
) -> None:
    """Try livereview without a network: a loopback stand-in for the sources serves real recorded records, a
    weekly monitor run for several simulated weeks fills a separate demo store, three reviewers screen between
    runs, this week's digest goes to the demo outbox with links into the app, and the web app (queue, dashboard,
    PRISMA) is served with an admin and three reviewer logins. The real store is never touched."""
    from livereview.demo.run import port_free, prepare
    from livereview.settings import load_settings

    real = load_settings()
    folder = (data_dir or Path(tempfile.mkdtemp(prefix="livereview-demo-"))).resolve()
    if folder == Path(real.data_dir).resolve() or (data_dir is not None and (folder / "livereview.db").exists()
                                                  and not (folder / "protocol").is_dir()):
        raise ConfigError(f"{folder} holds a real livereview store: the demo needs a folder of its own")
    if serve and not port_free(host, port):
        raise ConfigError(f"port {port} on {host} is in use: stop what listens there or pick another with --port")
    base_url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    result, replay, _env = prepare(folder, base_url=base_url, weeks=weeks,
                                   say=lambda line: typer.echo(line, err=True))
    try:
        new = sum((r.get("totals") or {}).get("new", 0) for r in result.runs)
        typer.echo(f"demo store   {result.database_url}  ({result.works} works, {new} new from "
                   f"{len(result.runs)} weekly runs)")
        typer.echo(f"digest       {result.outbox}  (links open {result.base_url})")
        for name, password in result.logins.items():
            typer.echo(f"login        {name} / {password}{'   (admin)' if name == 'admin' else '   (reviewer)'}")
        typer.echo(f"other commands against the demo store: source {result.data_dir / 'demo.env'}  "
                   "(then e.g. livereview status, livereview prisma, livereview digest --force)")
        if not serve:
            return
        import uvicorn

        from livereview.web.app import create_app

        with open_store(settings=load_settings(secret_key=secrets.token_urlsafe(48))) as opened:
            web_app = create_app(opened.settings, engine=opened.engine, protocol=opened.protocol)
            web_app.state.public_dashboard = True
            typer.echo(f"web app      {base_url}/queue   (dashboard: {base_url}/dashboard, public view: "
                       f"{base_url}/public/dashboard)")
            typer.echo("Ctrl-C stops the demo; its store stays in the folder above.")
            uvicorn.run(web_app, host=host, port=port, log_level="warning", access_log=False, server_header=False)
    finally:
        replay.__exit__(None, None, None)
