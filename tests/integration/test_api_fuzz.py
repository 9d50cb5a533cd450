"""Every route of the management API, and the redirect, fuzzed from the OpenAPI document the
API serves: each documented path, method, path and query parameter and JSON body, with
values from their schemas and well outside them (random JSON and bytes, wrong media types,
deep nesting, huge numbers, unicode, odd path segments). Whatever comes in, the answer is
never a 5xx, and every 4xx is in the API's error shape with a message that is a sentence,
not a regular expression.

Deterministic (``derandomize``, no example database) and bounded by ``max_examples``."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from infra.local.functions import LocalFunctions
from tests.integration import world
from tests.integration.conftest import Client, Reply
from tests.integration.contract import Contract

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=500,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# JSON of any shape: unicode text, huge and tiny numbers, nesting.
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**18, max_value=10**400)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
ANY_JSON = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
ODD_SEGMENTS = st.sampled_from(
    [
        "",
        ".",
        "..",
        "%2F",
        "a%2Fb",
        "%2e%2e",
        "%00",
        "%ff",
        "%",
        "%zz",
        "x" * 2000,
        "é",
        "😀",
        "a b",
        "a;b",
        "?",
        "#",
        "0" * 64,
        "0" * 65,
        "-1",
        "null",
        "api",
    ]
)
SEGMENT = st.one_of(
    ODD_SEGMENTS,
    st.text(min_size=1, max_size=80).map(lambda s: quote(s, safe="")),
    st.from_regex(r"\A[A-Za-z0-9]{1,64}\Z"),
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/xml",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
        "application/json; charset=latin-1",
        "",
        ";",
    ]
)


# Mostly the workspace's key; else none, a wrong one, or an Authorization header that is
# not a bearer token.
AUTH = st.one_of(
    st.just("default"),
    st.just("default"),
    st.just("default"),
    st.just("none"),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0xFF), max_size=80),
    st.sampled_from(["Basic dXNlcjpwYXNz", "Bearer", "bearer  x", "Bearer \t", ""]).map(
        lambda h: f"header:{h}"
    ),
)


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


# Fields whose schema says less than their rule: a job's url must also have a public host.
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "url": st.sampled_from(
        [
            "https://careers.example.se/jobs/1",
            "http://jobs.example.com/a?b=c#d",
            "https://xn--jbb-ula.example/\u00e5",
            "https://127.0.0.1/x",
            "https://[::1]/",
            "javascript:alert(1)",
            "https://careers.example.se:99999/",
        ]
    ),
}


def _values(contract: Contract, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that match ``schema``. Objects are composed here, field by field, because
    hypothesis-jsonschema's own object strategy fails on this version of Hypothesis
    (``'many' object has no attribute 'more'``); every other schema is the library's."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return _values(contract, contract.components["schemas"][name])
    if "anyOf" in schema:
        return st.one_of([_values(contract, option) for option in schema["anyOf"]])
    if schema.get("type") == "object" and "properties" in schema:
        fields = {
            name: FIELD_VALUES.get(name, st.nothing()) | _values(contract, s)
            for name, s in schema["properties"].items()
        }
        required = set(schema.get("required") or ())
        return st.fixed_dictionaries(
            {name: fields[name] for name in fields if name in required},
            optional={name: fields[name] for name in fields if name not in required},
        )
    return from_schema(schema)


def _body_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = (operation.get("requestBody") or {}).get("content") or {}
    json_content = content.get("application/json")
    return dict(json_content["schema"]) if json_content else None


@st.composite
def _body(draw: st.DrawFn, contract: Contract, schema: dict[str, Any] | None) -> bytes | str | None:
    choices: list[st.SearchStrategy[Any]] = [
        ANY_JSON.map(json.dumps),
        st.binary(max_size=200),
        st.text(max_size=200),
        st.sampled_from(["", "null", "{", "[]", "1e999999", "-0", '"\\ud800"', "{}" * 3]),
        st.integers(min_value=30, max_value=3000).map(_deep),
        st.just('{"a": ' + "9" * 5000 + "}"),
    ]
    if schema is not None and draw(st.booleans()):
        fields = _values(contract, schema)
        choices = [
            fields.map(json.dumps),
            # Valid fields with one added or changed to anything.
            st.tuples(fields, st.text(max_size=10), ANY_JSON).map(
                lambda t: json.dumps({**t[0], t[1]: t[2]} if isinstance(t[0], dict) else t[0])
            ),
        ]
    return draw(st.one_of(choices))


@st.composite
def _query(draw: st.DrawFn, contract: Contract, operation: dict[str, Any]) -> str:
    pairs: list[tuple[str, str]] = []
    for param in operation.get("parameters") or []:
        if param["in"] != "query" or not draw(st.booleans()):
            continue
        in_schema = _values(contract, param["schema"]).map(
            lambda v: v if isinstance(v, str) else json.dumps(v)
        )
        value = draw(
            in_schema
            | st.text(max_size=60)
            | st.sampled_from(["", "0", "-1", "1e3", "9" * 400, "2026-02-30", "0000-00-00"])
        )
        pairs.append((param["name"], value))
    if draw(st.booleans()):
        pairs.append((draw(st.text(max_size=10)), draw(st.text(max_size=10))))
    return urlencode(pairs)


def _operations(contract: Contract) -> list[tuple[str, str, dict[str, Any]]]:
    return sorted(
        (method.upper(), path, operation)
        for path, operations in contract.document["paths"].items()
        for method, operation in operations.items()
    )


@st.composite
def _request(
    draw: st.DrawFn, contract: Contract, job_id: str
) -> tuple[str, str, str, bytes | str | None, dict[str, str], str]:
    method, template, operation = draw(st.sampled_from(_operations(contract)))
    path = template
    for name in re.findall(r"\{(\w+)\}", template):
        value = draw(st.just(job_id) | SEGMENT)
        path = path.replace(f"{{{name}}}", value)
    if draw(st.integers(0, 9)) == 0:
        # An extra or odd segment after the route.
        path = f"{path}/{draw(SEGMENT)}"
    query = draw(_query(contract, operation))
    headers: dict[str, str] = {}
    body = None
    if method in {"POST", "PUT", "PATCH"} or draw(st.integers(0, 9)) == 0:
        body = draw(_body(contract, _body_schema(operation)))
        content_type = draw(st.just("application/json") | CONTENT_TYPES)
        if content_type:
            headers["content-type"] = content_type
    key = draw(AUTH)
    if key.startswith("header:"):
        headers["authorization"] = key.removeprefix("header:")
        key = "none"
    return method, path, query, body, headers, key


# A regular expression between its anchors, as pydantic would quote one
# ('^[A-Za-z0-9]{1,64}$'); a message that echoes what was sent ("No short link '^$'.")
# is not one.
REGEX = re.compile(r"\^[\[(\\]|[\])}+*?]\$")


def _check(reply: Reply, what: str) -> None:
    assert reply.status < 500, f"{what} answered {reply.status}: {reply.text[:500]}"
    if reply.status < 400:
        return
    error = reply.json()["error"]
    assert isinstance(error["code"], str), what
    assert isinstance(error["message"], str), what
    messages = [error["message"], *(d["message"] for d in error.get("details") or [])]
    for message in messages:
        assert not REGEX.search(message), f"{what}: a message quotes a regex: {message}"
        assert message.strip(), what


@pytest.fixture
def populated(api: Client, functions: LocalFunctions, workspace: tuple[str, str]) -> world.World:
    return world.build(api, functions, workspace[0])


@pytest.fixture
def contract(api: Client) -> Contract:
    return Contract.served_by(api)


def test_every_route_answers_any_request_without_a_5xx(
    api: Client, populated: world.World, contract: Contract
) -> None:
    job_id = populated.job["id"]

    @FUZZ
    @given(_request(contract, job_id))
    def fuzz(request: tuple[str, str, str, bytes | str | None, dict[str, str], str]) -> None:
        method, path, query, body, headers, key = request
        reply = api.request(
            method,
            path,
            query=query,
            body=body,
            headers=headers,
            api_key=None if key == "none" else key,
        )
        _check(reply, f"{method} {path}?{query}")

    fuzz()


REDIRECT_HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "user-agent": st.text(max_size=300),
        "referer": st.text(max_size=200) | st.just("https://t.co/x") | st.just("::::"),
        "cloudfront-viewer-country": st.text(max_size=5),
        "x-jobtrail-origin-secret": st.text(max_size=40),
        "content-type": CONTENT_TYPES,
    },
)


def test_the_redirect_answers_any_request_without_a_5xx(
    api: Client, populated: world.World
) -> None:
    slug = populated.link["slug"]

    @FUZZ
    @given(
        st.sampled_from(["GET", "HEAD"]),
        st.just(slug) | SEGMENT,
        st.text(max_size=40).map(lambda s: urlencode({"q": s})),
        REDIRECT_HEADERS,
    )
    def fuzz(method: str, path_slug: str, query: str, headers: dict[str, str]) -> None:
        # Header values are latin-1 on the wire; a gateway never hands on anything else.
        sent = {k: v.encode("utf-8").decode("latin-1") for k, v in headers.items()}
        reply = api.request(method, f"/{path_slug}", query=query, headers=sent, api_key=None)
        _check(reply, f"{method} /{path_slug}")
        if reply.status == 302:
            assert reply.headers["location"].startswith(populated.job["url"])

    fuzz()
