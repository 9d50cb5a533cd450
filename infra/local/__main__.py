"""``python -m infra.local``: the whole stack on one machine (``make run``)."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading

from infra.local.errors import CannotStart
from infra.local.stack import LocalStack, log_level


def main() -> int:
    try:
        logging.basicConfig(level=log_level(os.environ), format="%(name)s: %(message)s")
        stack = LocalStack.from_environment()
    except CannotStart as error:
        print(f"jobtrail: {error}", file=sys.stderr, flush=True)
        return 1
    stopped = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        stack.start()
    except CannotStart as error:
        # One line, no traceback: what is wrong and what to do is all the user needs.
        print(f"jobtrail: {error}", file=sys.stderr, flush=True)
        return 1
    key = stack.api_key
    base = stack.base_url
    example = json.dumps(
        {
            "title": "Webbutvecklare",
            "url": "https://careers.example.se/jobs/123",
            "channels": ["twitter", "linkedin"],
        }
    )
    print(
        f"""
jobtrail, running locally
  API:      {base}/api   (OpenAPI document: {base}/api/openapi.json)
  API key:  {key}
  Create a job:
    curl -s -X POST {base}/api/jobs \\
      -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\
      -d '{example}'
  then open a short_url from the answer in a browser.
  DynamoDB: {stack.dynamodb.endpoint}   (python -m jobtrail.admin COMMAND --local ...)
  Data:     {stack.data_dir or "in memory only"}
  Ctrl-C stops.
""",
        flush=True,
    )
    # Said once here, not on the poller's first run a period later; the poller says it
    # again only when that changes.
    for notice in stack.share_sources.read()[1]:
        print(notice.message, flush=True)
    print(f"jobtrail ready on {base}", flush=True)
    stopped.wait()
    print("jobtrail stopping", file=sys.stderr, flush=True)
    stack.stop()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
