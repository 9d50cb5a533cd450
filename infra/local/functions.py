"""The functions of the route table, loaded in this process and invoked one at a time each,
as a single warm Lambda instance would be (the handlers keep per-instance state).

Each handler is wired here as on a cold start on Lambda (its module's ``build``), with the
settings and the clock this runtime was given: the system's for ``make run``, a test's own
for the tests."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from infra.local.context import LocalContext
from infra.local.events import sample
from infra.routes import FUNCTIONS
from jobtrail.config import Settings
from jobtrail.domain.times import SYSTEM_CLOCK, Clock

Handler = Callable[[Any, Any], Any]


class UnknownFunction(KeyError):
    pass


class LocalFunctions:
    def __init__(
        self,
        settings: Settings | None = None,
        clock: Clock = SYSTEM_CLOCK,
        given: Mapping[str, Mapping[str, Any]] | None = None,
        after_invoke: Callable[[], None] | None = None,
    ) -> None:
        """``given``: per function, what its ``build`` takes besides the settings and the
        clock, made by the runtime (the poller's sources). ``after_invoke``: run after each
        invocation."""
        self._after_invoke = after_invoke
        self.settings = settings or Settings.from_env()
        self.clock = clock
        self._given = given or {}
        self._handlers: dict[str, Handler] = {}
        self._locks: dict[str, AbstractContextManager[Any]] = {
            name: threading.Lock() for name in FUNCTIONS
        }

    def _handler(self, name: str) -> Handler:
        if name not in FUNCTIONS:
            raise UnknownFunction(name)
        if name not in self._handlers:
            module, _, _entry_point = FUNCTIONS[name].handler.rpartition(".")
            build = importlib.import_module(module).build
            self._handlers[name] = build(self.settings, self.clock, **self._given.get(name, {}))
        return self._handlers[name]

    def load_all(self) -> None:
        for name in FUNCTIONS:
            self._handler(name)

    def invoke(self, name: str, event: Any | None = None) -> Any:
        """Run a function's handler; with no event, its sample from ``events/``."""
        handler = self._handler(name)
        spec = FUNCTIONS[name]
        if event is None:
            event = sample(name)
        context = LocalContext(
            function_name=f"jobtrail-{name}",
            memory_limit_in_mb=spec.memory_mb,
            timeout_seconds=spec.timeout_seconds,
        )
        with self._locks[name]:
            try:
                return handler(event, context)
            finally:
                if self._after_invoke:
                    self._after_invoke()
