"""``contexta-git ui``: the runs in a browser, read-only, or as a static site."""

from __future__ import annotations

import click

from contexta_git.cli.main import cli
from contexta_git.cli.text import echo


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; anything but a loopback address shows the runs to the "
                   "network.")
@click.option("--open", "open_browser", is_flag=True, help="Open the view in the default "
              "browser.")
@click.option("--policy", metavar="FILE", help="Gate every run page against this policy file "
              "(a path inside the repository); served pages can choose another.")
@click.option("--export", "folder", type=click.Path(file_okay=False), metavar="DIR",
              help="Write the pages as a static site into DIR (new or empty) and exit.")
@click.pass_context
def ui(ctx: click.Context, port: int, host: str, open_browser: bool, policy: str | None,
       folder: str | None) -> None:
    """Browse the runs in a browser: the run table with the runs command's filter and
    sort, a page per run (curves, gate, verified certificates), runs compared side by
    side. Read-only; from the runs branch and every remote's copy of it."""
    repo = ctx.obj.get("repo") if ctx.obj else None
    if folder is not None:
        from contexta_git.web.export import export

        done = export(repo, folder, policy=policy)
        echo(f"Wrote {done.pages} pages ({done.runs} runs) to {done.folder}; open "
             f"{done.folder}/index.html")
        return
    from contexta_git.web.ui import ui as serve

    server = serve(repo, host=host, port=port, policy=policy,
                   log=lambda line: echo(line, err=True))
    echo(f"Serving the runs of {server.repo} at {server.url} (read-only; Ctrl+C stops)")
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        echo("Stopped.")
    finally:
        server.server_close()
