"""The API tests drive the real app in-process on the private Redis, with no worker process:
their fixtures are the root conftest's (app, client, make_app) and the helpers are in
tests/support/api.py."""
