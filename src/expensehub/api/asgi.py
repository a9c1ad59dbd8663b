"""ASGI entrypoint for uvicorn/gunicorn: ``expensehub.api.asgi:app`` (settings from the environment)."""

from expensehub import logs
from expensehub.api.app import create_app
from expensehub.config import load_settings

_settings = load_settings()
logs.configure(_settings.log_level, _settings.log_format)
app = create_app(_settings)
