"""Runs scheduled functions every period, as EventBridge rules do on AWS."""

from __future__ import annotations

import logging
import threading

from infra.local.events import sample
from infra.local.functions import LocalFunctions

log = logging.getLogger("jobtrail.local.timer")


class Timer:
    def __init__(self, functions: LocalFunctions, schedules: list[tuple[str, float]]) -> None:
        self._functions = functions
        self._schedules = [(name, seconds) for name, seconds in schedules if seconds > 0]
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(n, s), name=f"timer-{n}", daemon=True)
            for n, s in self._schedules
        ]
        self.runs: dict[str, int] = {name: 0 for name, _ in self._schedules}

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _run(self, name: str, seconds: float) -> None:
        while not self._stop.wait(seconds):
            try:
                self._functions.invoke(name, sample(name))
                self.runs[name] += 1
            except Exception:
                log.exception("scheduled run of %s failed", name)
