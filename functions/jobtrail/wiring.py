"""Where a function's handler is wired: its settings and its clock are made once per
function instance (on Lambda, on the first request of a cold start) and handed to the
handler's ``build``, which makes its stores and caches from them. Tests and the local
runtime call ``build`` themselves, with their own settings and clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jobtrail.config import Settings
from jobtrail.domain.times import SYSTEM_CLOCK, Clock

Handler = Callable[[Any, Any], Any]
Build = Callable[[Settings, Clock], Handler]


def entry_point(build: Build) -> Handler:
    """The Lambda entry point of a handler module: builds the handler on the first
    request, from the environment and the system clock, then hands every request to it.
    (Built on the first request rather than at import, so that importing a handler
    module reads nothing and the local runtime and tests can wire it their own way.)"""
    wired: list[Handler] = []

    def lambda_handler(event: Any, context: Any) -> Any:
        if not wired:
            wired.append(build(Settings.from_env(), SYSTEM_CLOCK))
        return wired[0](event, context)

    return lambda_handler
