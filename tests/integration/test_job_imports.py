"""Importing jobs: a CSV as spreadsheets write it, and the public job lists of Greenhouse,
Lever and Teamtailor in their real shapes; a rerun that changes nothing, a re-import that
adds, changes and drops jobs."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.conftest import Client, Reply

IMPORT = "/api/imports/jobs"


def _csv(api: Client, text: str | bytes) -> Reply:
    return api.request("POST", IMPORT, body=text, headers={"content-type": "text/csv"})


def _feed(api: Client, ats: str, body: Any) -> Reply:
    return api.request(
        "POST",
        IMPORT,
        query=f"ats={ats}",
        body=json.dumps(body),
        headers={"content-type": "application/json"},
    )


def _jobs(api: Client) -> list[dict[str, Any]]:
    return list(api.get("/api/jobs", query="limit=100").json()["items"])


def test_a_plain_csv_makes_jobs_with_links(api: Client) -> None:
    reply = _csv(
        api,
        "title,url,tags,ats_id,channels\n"
        "Data engineer,https://careers.example.se/jobs/1,data;python,TT-1,twitter;linkedin\n",
    )
    assert reply.status == 200, reply.text
    assert reply.json() == {"created": 1, "updated": 0, "unchanged": 0, "closed": 0, "rejected": []}
    [job] = _jobs(api)
    full = api.get(f"/api/jobs/{job['id']}").json()
    assert full["tags"] == ["data", "python"]
    assert [link["channel"] for link in full["links"]] == ["twitter", "linkedin"]
    assert (full["ats_id"], full["ats"]) == ("TT-1", None)


# Every quirk of a spreadsheet's CSV at once: Excel's byte order mark, `;` between cells
# (Swedish Excel), Windows line ends, a quoted title with a `;` and a new line in it,
# blank lines (which still count), a row repeated as it was, a repeat of an ats_id with
# other values, and bad rows.
QUIRKY = (
    "\ufefftitle;url;tags;ats_id;channels\r\n"  # 1
    "Webbutvecklare;https://careers.example.se/jobs/1;webb;TT-1;\r\n"  # 2
    "\r\n"  # 3
    '"Data engineer; Göteborg\r\n(remote)";https://careers.example.se/jobs/2;Data; TT-2;x\r\n'
    # (lines 4 and 5)
    "Webbutvecklare;https://careers.example.se/jobs/1;webb;TT-1;\r\n"  # 6: a repeat
    "Webbutvecklare senior;https://careers.example.se/jobs/9;webb;TT-1;\r\n"  # 7: ats_id again
    ";https://careers.example.se/jobs/3;;;\r\n"  # 8: no title
    "Phishing;javascript:alert(1);;;\r\n"  # 9: a bad URL
    "Local;http://10.0.0.1/jobs;;;\r\n"  # 10: a private host
    "Mail;https://careers.example.se/jobs/4;;;Mail Out\r\n"  # 11: a bad channel
    "\r\n"  # 12
    "Ekonom;https://careers.example.se/jobs/5\r\n"  # 13: short row, cells left out
)


def test_a_csv_with_every_quirk_is_read_as_excel_users_expect(api: Client) -> None:
    reply = _csv(api, QUIRKY.encode("utf-8"))
    assert reply.status == 200, reply.text
    answer = reply.json()
    assert (answer["created"], answer["updated"], answer["unchanged"]) == (3, 0, 1)
    assert [r["line"] for r in answer["rejected"]] == [7, 8, 9, 10, 11]
    reasons = {r["line"]: r["reason"] for r in answer["rejected"]}
    assert "only line 2 was imported" in reasons[7]
    assert "no title" in reasons[8]
    assert "channel" in reasons[11]
    jobs = {job["title"]: job for job in _jobs(api)}
    assert set(jobs) == {"Webbutvecklare", "Data engineer; Göteborg (remote)", "Ekonom"}
    data = jobs["Data engineer; Göteborg (remote)"]
    assert (data["tags"], data["channels"], data["ats_id"]) == (["data"], ["x"], "TT-2")
    assert jobs["Ekonom"]["channels"] == ["twitter"]  # the workspace's default channel
    # The same file again: nothing new, nothing changed.
    again = _csv(api, QUIRKY.encode("utf-8")).json()
    assert (again["created"], again["updated"], again["unchanged"], again["closed"]) == (0, 0, 4, 0)
    assert len(_jobs(api)) == 3


def test_a_csv_saved_by_excel_in_windows_1252_with_comma_separators(api: Client) -> None:
    text = 'title,url,tags\r\n"Säljare, Malmö",https://careers.example.se/jobs/7,sälj\r\n'
    answer = _csv(api, text.encode("cp1252")).json()
    assert answer["created"] == 1
    [job] = _jobs(api)
    assert (job["title"], job["tags"]) == ("Säljare, Malmö", ["sälj"])


def test_a_csv_rerun_matches_by_url_when_it_has_no_ats_id(api: Client) -> None:
    first = "title,url\nEkonom,https://careers.example.se/jobs/5\n"
    assert _csv(api, first).json()["created"] == 1
    edited = "title,url,tags\nEkonom (deltid),https://careers.example.se/jobs/5,ekonomi\n"
    assert _csv(api, edited).json()["updated"] == 1
    [job] = _jobs(api)
    assert (job["title"], job["tags"]) == ("Ekonom (deltid)", ["ekonomi"])
    # A blank tags cell keeps the job's tags; a CSV never closes the jobs it leaves out.
    assert _csv(api, first).json()["updated"] == 1
    assert _csv(api, "title,url\nOther,https://careers.example.se/jobs/6\n").json()["closed"] == 0
    assert {job["status"] for job in _jobs(api)} == {"open"}
    assert next(j for j in _jobs(api) if j["title"] == "Ekonom")["tags"] == ["ekonomi"]


def test_a_csv_without_its_columns_or_as_another_type_is_refused(api: Client) -> None:
    reply = _csv(api, "name,link\nx,https://careers.example.se/\n")
    assert (reply.status, reply.error_code) == (422, "invalid_import")
    assert "lacks title and url" in reply.json()["error"]["message"]
    reply = api.request("POST", IMPORT, body="title,url\n", headers={"content-type": "text/plain"})
    assert reply.status == 415
    assert _csv(api, "").status == 422


def test_an_import_over_its_limits_is_refused(api: Client) -> None:
    rows = "".join(f"Job {i},https://careers.example.se/jobs/{i}\n" for i in range(10_001))
    reply = _csv(api, "title,url\n" + rows)
    assert (reply.status, reply.error_code) == (413, "import_too_large")
    assert _jobs(api) == []
    big = "title,url\n" + "x" * (5 * 1024 * 1024)
    assert _csv(api, big).status == 413
    # A body past the usual 64 KiB is fine for an import.
    fine = "title,url\n" + "".join(
        f"Job {i},https://careers.example.se/jobs/{i}?ref={'r' * 1900}\n" for i in range(40)
    )
    assert len(fine) > 64 * 1024
    assert _csv(api, fine).json()["created"] == 40


# --- ATS feeds, in the shapes their public APIs answer -----------------------------------

# GET https://boards-api.greenhouse.io/v1/boards/acme/jobs?content=true
GREENHOUSE = {
    "jobs": [
        {
            "absolute_url": "https://boards.greenhouse.io/acme/jobs/4012345",
            "data_compliance": [{"type": "gdpr", "requires_consent": False}],
            "internal_job_id": 3012345,
            "location": {"name": "Stockholm"},
            "metadata": None,
            "id": 4012345,
            "updated_at": "2026-11-30T10:12:00-05:00",
            "requisition_id": "REQ-17",
            "title": "Data Engineer",
            "content": "&lt;p&gt;Build our pipelines.&lt;/p&gt;",
            "departments": [{"id": 45, "name": "Data", "child_ids": [], "parent_id": None}],
            "offices": [{"id": 9, "name": "Stockholm", "location": "Stockholm, Sweden"}],
        },
        {
            "absolute_url": "https://boards.greenhouse.io/acme/jobs/4012399",
            "internal_job_id": 3012399,
            "location": {"name": "Remote"},
            "metadata": None,
            "id": 4012399,
            "updated_at": "2026-11-29T08:00:00-05:00",
            "requisition_id": None,
            "title": "Frontend Developer",
            "content": "",
            "departments": [
                {"id": 46, "name": "Engineering", "child_ids": [], "parent_id": None},
                {"id": 47, "name": "Web", "child_ids": [], "parent_id": 46},
            ],
            "offices": [],
        },
    ],
    "meta": {"total": 2},
}

# GET https://api.lever.co/v0/postings/acme?mode=json
LEVER = [
    {
        "id": "5ac21346-8e0c-4494-8e7a-3eb92ff77902",
        "text": "Backend Engineer",
        "categories": {
            "commitment": "Full-time",
            "department": "Engineering",
            "location": "Göteborg",
            "team": "Platform",
        },
        "country": "SE",
        "createdAt": 1733000000000,
        "descriptionPlain": "Run our APIs.",
        "hostedUrl": "https://jobs.lever.co/acme/5ac21346-8e0c-4494-8e7a-3eb92ff77902",
        "applyUrl": "https://jobs.lever.co/acme/5ac21346-8e0c-4494-8e7a-3eb92ff77902/apply",
        "lists": [],
        "additionalPlain": "",
        "workplaceType": "hybrid",
    }
]

# GET https://api.teamtailor.com/v1/jobs?include=department
TEAMTAILOR = {
    "data": [
        {
            "id": "7199",
            "type": "jobs",
            "links": {
                "careersite-job-url": "https://acme.teamtailor.com/jobs/7199-ux-designer",
                "careersite-job-apply-url": "https://acme.teamtailor.com/jobs/7199-ux-designer/applications/new",
                "self": "https://api.teamtailor.com/v1/jobs/7199",
            },
            "attributes": {"title": "UX Designer", "status": "open", "body": "<p>Hej</p>"},
            "relationships": {
                "department": {
                    "links": {"related": "https://api.teamtailor.com/v1/jobs/7199/department"},
                    "data": {"type": "departments", "id": "31"},
                },
            },
        }
    ],
    "included": [{"id": "31", "type": "departments", "attributes": {"name": "Design"}}],
    "meta": {"record-count": 1, "page-count": 1},
    "links": {"first": "https://api.teamtailor.com/v1/jobs?page%5Bnumber%5D=1"},
}


def test_each_ats_feed_is_read_in_its_real_shape(api: Client) -> None:
    for ats, body in (("greenhouse", GREENHOUSE), ("lever", LEVER), ("teamtailor", TEAMTAILOR)):
        reply = _feed(api, ats, body)
        assert reply.status == 200, reply.text
        assert reply.json()["rejected"] == []
    jobs = {job["title"]: job for job in _jobs(api)}
    got = {t: (j["ats"], j["ats_id"], j["url"], j["tags"]) for t, j in jobs.items()}
    assert got == {
        "Data Engineer": (
            "greenhouse",
            "4012345",
            "https://boards.greenhouse.io/acme/jobs/4012345",
            ["data"],
        ),
        "Frontend Developer": (
            "greenhouse",
            "4012399",
            "https://boards.greenhouse.io/acme/jobs/4012399",
            ["engineering", "web"],
        ),
        "Backend Engineer": (
            "lever",
            "5ac21346-8e0c-4494-8e7a-3eb92ff77902",
            "https://jobs.lever.co/acme/5ac21346-8e0c-4494-8e7a-3eb92ff77902",
            ["platform"],
        ),
        "UX Designer": (
            "teamtailor",
            "7199",
            "https://acme.teamtailor.com/jobs/7199-ux-designer",
            ["design"],
        ),
    }
    assert {tuple(j["channels"]) for j in jobs.values()} == {("twitter",)}
    # Each feed again: nothing created, nothing changed, nothing closed.
    for ats, body in (("greenhouse", GREENHOUSE), ("lever", LEVER), ("teamtailor", TEAMTAILOR)):
        answer = _feed(api, ats, body).json()
        assert (answer["created"], answer["updated"], answer["closed"]) == (0, 0, 0)
        assert answer["unchanged"] == len(
            body["jobs"] if ats == "greenhouse" else body if ats == "lever" else body["data"]
        )


def test_a_reimport_adds_changes_and_drops_jobs(api: Client) -> None:
    _feed(api, "greenhouse", GREENHOUSE)
    _feed(api, "lever", LEVER)
    data, frontend = GREENHOUSE["jobs"]
    renamed = {**data, "title": "Senior Data Engineer"}
    added = {
        **frontend,
        "id": 4012400,
        "title": "Analytics Engineer",
        "absolute_url": "https://boards.greenhouse.io/acme/jobs/4012400",
    }
    answer = _feed(api, "greenhouse", {"jobs": [renamed, added], "meta": {"total": 2}}).json()
    assert answer == {"created": 1, "updated": 1, "unchanged": 0, "closed": 1, "rejected": []}
    jobs = {job["ats_id"]: job for job in _jobs(api)}
    assert jobs["4012345"]["title"] == "Senior Data Engineer"
    assert jobs["4012399"]["status"] == "closed"  # dropped from the board: closed
    assert jobs["5ac21346-8e0c-4494-8e7a-3eb92ff77902"]["status"] == "open"  # another ATS
    # A closed job's links keep redirecting.
    slug = api.get(f"/api/jobs/{jobs['4012399']['id']}").json()["links"][0]["slug"]
    assert (
        api.get(f"/{slug}", api_key=None).status == 301
        or api.get(f"/{slug}", api_key=None).status == 302
    )
    # Back on the board: the feed reopens the job it closed; one closed by hand stays so.
    api.patch(f"/api/jobs/{jobs['4012400']['id']}", {"status": "closed"})
    answer = _feed(api, "greenhouse", {"jobs": [renamed, frontend, added]}).json()
    assert (answer["created"], answer["updated"], answer["closed"]) == (0, 1, 0)
    jobs = {job["ats_id"]: job for job in _jobs(api)}
    assert jobs["4012399"]["status"] == "open"
    assert jobs["4012400"]["status"] == "closed"
    # An empty board closes every open job of that ATS, and no other.
    assert _feed(api, "greenhouse", {"jobs": []}).json()["closed"] == 2
    assert jobs["5ac21346-8e0c-4494-8e7a-3eb92ff77902"]["status"] == "open"


def test_a_feed_job_without_an_id_title_or_url_is_rejected_by_its_place(api: Client) -> None:
    broken = [
        {"text": "No id", "hostedUrl": "https://jobs.lever.co/acme/1"},
        {"id": "b", "text": "", "hostedUrl": "https://jobs.lever.co/acme/2"},
        {"id": "c", "text": "Bad URL", "hostedUrl": "ftp://jobs.lever.co/acme/3"},
        LEVER[0],
    ]
    answer = _feed(api, "lever", broken).json()
    assert answer["created"] == 1
    assert [r["line"] for r in answer["rejected"]] == [1, 2, 3]
    assert answer["rejected"][1]["reason"].startswith("Job 2 of the feed (b)")


def test_a_feed_in_another_shape_is_refused_and_writes_nothing(api: Client) -> None:
    reply = _feed(api, "greenhouse", LEVER)
    assert (reply.status, reply.error_code) == (422, "invalid_import")
    assert "jobs" in reply.json()["error"]["message"]
    reply = api.request(
        "POST",
        IMPORT,
        query="ats=lever",
        body="{not json",
        headers={"content-type": "application/json"},
    )
    assert reply.status == 400
    reply = api.request(
        "POST", IMPORT, query="ats=lever", body="a,b", headers={"content-type": "text/csv"}
    )
    assert reply.status == 415
    assert api.request("POST", IMPORT, query="ats=workday", body="[]").status == 422
    assert _jobs(api) == []


def test_imports_stay_in_their_workspace(api: Client, other_api: Client) -> None:
    _feed(api, "lever", LEVER)
    answer = _feed(other_api, "lever", []).json()
    assert answer["closed"] == 0
    assert _feed(other_api, "lever", LEVER).json()["created"] == 1
    assert [job["status"] for job in _jobs(api)] == ["open"]


def test_an_excel_sep_line_and_a_row_with_cells_past_the_header(api: Client) -> None:
    text = (
        "sep=;\r\n"  # 1: what Excel writes to say its separator
        '"Title";"URL";"Tags"\r\n'  # 2: the header, quoted, in any case
        "Ekonom;https://careers.example.se/jobs/5;ekonomi, lön\r\n"  # 3
        "Säljare;https://careers.example.se/jobs/6;sälj;extra\r\n"  # 4: a cell too many
        "Jurist;https://careers.example.se/jobs/7;juridik;;\r\n"  # 5: empty cells past it
    )
    answer = _csv(api, text).json()
    assert answer["created"] == 2
    assert answer["rejected"] == [
        {"line": 4, "reason": "Line 4 has more cells than the header has columns."}
    ]
    jobs = {job["title"]: job for job in _jobs(api)}
    assert jobs["Ekonom"]["tags"] == ["ekonomi", "lön"]


def test_a_feed_job_rejected_later_keeps_its_job_open(api: Client) -> None:
    _feed(api, "lever", LEVER)
    broken = [{**LEVER[0], "text": "x" * 201}]  # still on the board, but not importable
    answer = _feed(api, "lever", broken).json()
    assert (answer["closed"], [r["line"] for r in answer["rejected"]]) == (0, [1])
    assert [job["status"] for job in _jobs(api)] == ["open"]
