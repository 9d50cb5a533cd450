"""The script a careers page includes to carry a click's id: served by the stack to
anyone, small, cacheable."""

from __future__ import annotations

from tests.integration.conftest import Client


def test_jt_js_is_served_without_a_key_small_and_cacheable(api: Client) -> None:
    reply = api.get("/static/jt.js", api_key=None)
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/javascript; charset=utf-8"
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert len(reply.content) < 2048
    assert "jt_click" in reply.text
    # A browser that has it revalidates and gets a 304
    again = api.get("/static/jt.js", api_key=None, headers={"if-none-match": reply.headers["etag"]})
    assert (again.status, again.text) == (304, "")


def test_another_static_file_is_a_404_not_a_request_for_a_key(api: Client) -> None:
    reply = api.get("/static/other.js", api_key=None)
    assert (reply.status, reply.error_code) == (404, "not_found")
