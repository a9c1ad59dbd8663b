"""ASGI entrypoint for uvicorn/gunicorn: ``expensehub.api.asgi:app`` (settings from the environment)."""

from expensehub.api.app import create_app

app = create_app()
