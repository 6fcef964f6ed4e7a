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
    port: Annotated[int, typer.Option(help="Port of the web app.")] = 8000,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the web app afterwards (Ctrl-C stops).")]
    = True,
    papers: Annotated[int, typer.Option(help="How many demo papers the stand-in sources hold.", min=5, max=2000)]
    = 60,
) -> None:
    """Try livereview without a network: a loopback stand-in for the sources replays recorded responses, the
    monitor runs into a separate demo store, two demo reviewers screen, the digest goes to the demo outbox, and
    the web app (dashboard, PRISMA, queue) is served with a demo login. The real store is never touched."""
    from livereview.demo.run import prepare
    from livereview.settings import load_settings

    real = load_settings()
    folder = (data_dir or Path(tempfile.mkdtemp(prefix="livereview-demo-"))).resolve()
    if folder == Path(real.data_dir).resolve() or (data_dir is not None and (folder / "livereview.db").exists()
                                                  and not (folder / "protocol").is_dir()):
        raise ConfigError(f"{folder} holds a real livereview store: the demo needs a folder of its own")
    result, replay, _env = prepare(folder, papers=papers, say=lambda line: typer.echo(line, err=True))
    try:
        new = sum((r.get("totals") or {}).get("new", 0) for r in result.runs)
        typer.echo(f"demo store   {result.database_url}  ({result.works} works, {new} new from "
                   f"{len(result.runs)} runs)")
        typer.echo(f"digest       {result.outbox}")
        if not serve:
            typer.echo(f"login        {result.user} / {result.password}")
            return
        import uvicorn

        from livereview.web.app import create_app

        with open_store(settings=load_settings(secret_key=secrets.token_urlsafe(48))) as opened:
            web_app = create_app(opened.settings, engine=opened.engine, protocol=opened.protocol)
            web_app.state.public_dashboard = True
            typer.echo(f"web app      http://{host}:{port}/dashboard   (public view: http://{host}:{port}/public/dashboard)")
            typer.echo(f"login        {result.user} / {result.password}")
            typer.echo("Ctrl-C stops the demo; its store stays in the folder above.")
            uvicorn.run(web_app, host=host, port=port, log_level="warning", access_log=False, server_header=False)
    finally:
        replay.__exit__(None, None, None)
