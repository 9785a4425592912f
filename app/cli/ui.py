"""CLI command: `claimdesk ui` runs the Streamlit workbench headless."""

from __future__ import annotations

from pathlib import Path

import typer

ENTRY = Path(__file__).resolve().parent.parent / "ui" / "main.py"


def streamlit_command(port: int, host: str) -> list[str]:
    """The `streamlit run` command line for the workbench (headless, no usage statistics)."""
    import sys

    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ENTRY),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",  # no "Deploy" button: this is a local tool
    ]


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""

    @app.command()
    def ui(
        port: int = typer.Option(8501, "--port", "-p", help="Port to listen on."),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (0.0.0.0 to share on the network)."),
    ) -> None:
        """Open the review workbench in the browser (Streamlit, headless): http://HOST:PORT."""
        import os
        import sys

        from app.errors import ConfigurationError

        if not ENTRY.is_file():
            raise ConfigurationError(f"The UI entry script is missing at {ENTRY}; reinstall claimdesk.")
        typer.echo(f"claimdesk workbench on http://{host}:{port}  (Ctrl+C to stop)")
        sys.stdout.flush()
        sys.stderr.flush()
        command = streamlit_command(port, host)
        # Become the Streamlit server (same process id): stopping `claimdesk ui` by its pid stops the server too,
        # where a child process kept serving the port after its parent was killed.
        try:
            os.execv(command[0], command)
        except OSError as exc:
            raise ConfigurationError(f"Could not start Streamlit ({exc}); reinstall claimdesk.") from exc
