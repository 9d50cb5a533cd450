"""Files the stack serves for pages that are not its own: ``/static/jt.js``, the script a
careers page includes to carry a click's id into its application forms (README,
"Applications: carrying the click id"). No key: a careers page's visitors load it."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

router = Router()

PREFIX = "/static/"  # served to anyone: no key is asked for
JT_JS_PATH = f"{PREFIX}jt.js"
# Changed only by a deployment: a browser keeps it an hour, then revalidates (ETag).
CACHE_CONTROL = "public, max-age=3600"


@cache
def _script() -> tuple[bytes, str]:
    """The script and its ETag, read from the package once per function instance."""
    body = resources.files("jobtrail.api").joinpath("static/jt.js").read_bytes()
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


@router.get(JT_JS_PATH, include_in_schema=False)
def jt_js() -> Response[str]:
    body, etag = _script()
    headers = {
        "ETag": etag,
        "Cache-Control": CACHE_CONTROL,
        "X-Content-Type-Options": "nosniff",
        # Any careers site may load it (a script tag needs no CORS; a fetch would).
        "Access-Control-Allow-Origin": "*",
    }
    asked = router.current_event.headers.get("if-none-match") or ""
    if etag in (tag.strip() for tag in asked.split(",")):
        return Response(status_code=304, headers=headers, body="")
    return Response(
        status_code=200,
        content_type="text/javascript; charset=utf-8",
        headers=headers,
        body=body.decode(),
    )
