"""The web app (FastAPI): labelling pages and API, accounts, data API."""

from labelloop.server.app import create_app

__all__ = ["create_app"]
