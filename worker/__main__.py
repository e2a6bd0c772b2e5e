"""`python -m worker -A worker.app worker -P gevent …`: the celery command, patched first.

`celery -P gevent` applies gevent's patches itself, but only after kombu has bound the
blocking `time.sleep` (while gevent inspects Celery's lazy proxies). kombu's reconnect loop
then sleeps with it, freezing every greenlet — turns, heartbeat, redelivery sweep — while the
broker is away. Patching before anything else is imported avoids that.
"""

from gevent import monkey

monkey.patch_all()

from celery.__main__ import main  # noqa: E402 - must come after the patches

main()
