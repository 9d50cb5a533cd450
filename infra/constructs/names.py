"""Construct ids from the route table's names, so that logical ids read like the table."""

from __future__ import annotations

import re


def pascal(*words: str) -> str:
    """``pascal("api")`` is ``Api``; ``pascal("GET", "/api/{proxy+}")`` is ``GETApiProxy``."""
    parts = (part for word in words for part in re.split(r"[^A-Za-z0-9]+", word))
    return "".join(part[:1].upper() + part[1:] for part in parts if part)
