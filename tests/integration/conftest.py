"""Integration tests run real worker processes (and the API under gunicorn: `live_api`); their
fixtures are the root conftest's."""
