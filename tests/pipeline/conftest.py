"""Shared by the pipeline tests."""

from __future__ import annotations

import pytest
import typer

from hwnas.cli import pipeline_cmd


@pytest.fixture
def pipeline_app() -> typer.Typer:
    """A Typer app with only the pipeline commands, grouped as the real `hwnas` app groups them."""
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Group the commands (as the real `hwnas` app does)."""

    pipeline_cmd.register(app)
    return app
