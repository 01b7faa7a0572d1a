"""The web page and decision-support service (``lytes serve``; ``pip install "lytes[web]"``).

Importing this package imports nothing heavy: ``create_app`` and ``serve`` import FastAPI when called.
"""

from __future__ import annotations

import importlib.util

NEEDS = ("fastapi", "uvicorn", "jinja2", "multipart", "plotly")
INSTALL = 'pip install "lytes[web]"'


def missing() -> list[str]:
    """The packages of the [web] extra that are not installed."""
    return [name for name in NEEDS if importlib.util.find_spec(name) is None]


def create_app(limits=None):
    from .app import create_app as make

    return make(limits)


def serve(host: str = "127.0.0.1", port: int = 8000, limits=None) -> None:
    """Serve the page, the REST API and the CDS Hooks service with uvicorn (blocks until stopped)."""
    import uvicorn

    uvicorn.run(create_app(limits), host=host, port=port, log_level="info", server_header=False)


__all__ = ["INSTALL", "create_app", "missing", "serve"]
