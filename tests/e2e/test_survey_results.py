"""Journey: operations staff, on a desktop, open the results of the demo's "Member satisfaction 2026"
survey: the numbers, the charts (pictures with a summary, and their numbers as a table), the
satisfaction % with the 90% target, the tier filter and "Load more" for written answers; on a phone
the charts still fit. The demo data is only read."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.demo import SURVEY_TITLE
from portal.extensions import db
from portal.surveys.models import Survey
from tests.helpers import PHONE, assert_accessible, assert_no_sideways_scroll, click_and_load, log_in, staff_page

pytestmark = pytest.mark.e2e


def demo_survey_id(live_server):
    with live_server.app.app_context():
        return db.session.scalar(select(Survey.id).where(Survey.title == SURVEY_TITLE))


def test_operations_read_the_demo_surveys_results_with_charts_and_the_target(new_context, live_server):
    survey_id = demo_survey_id(live_server)
    page = staff_page(new_context)
    log_in(page, "ops@example.com")
    page.wait_for_url("**/admin/")
    page.goto(f"/admin/surveys/{survey_id}/results")

    expect(page.get_by_role("heading", name=f"Results: {SURVEY_TITLE}")).to_be_visible()
    satisfaction = page.get_by_role("img", name=re.compile(r"^Satisfaction: answers of 8 or more"))
    expect(satisfaction).to_be_visible()
    expect(satisfaction).to_have_attribute("aria-label", re.compile(r"8–10: 87\.5% \(35 of 40\).*Target 90%"))
    expect(page.get_by_text("Target 90%: not met").first).to_be_visible()
    expect(page.get_by_role("img", name=re.compile(r"^Answers from 0 to 10"))).to_be_visible()
    expect(page.get_by_role("img", name=re.compile(r"^Promoters, passives and detractors"))).to_be_visible()
    assert page.get_by_role("img").count() >= 6
    assert_accessible(page)

    # The numbers behind a chart, as a table
    page.get_by_text("Show the numbers").first.click()
    table = page.get_by_role("table").first
    expect(table.get_by_role("rowheader", name="8–10")).to_be_visible()
    expect(table.get_by_role("cell", name="87.5% (35 of 40)")).to_be_visible()

    # Only Gold members' answers: a plain link
    click_and_load(page, page.get_by_role("navigation", name="Filter by tier").get_by_role("link", name="Gold"))
    expect(page.get_by_role("link", name="Gold")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("Showing the answers given by members in the tier Gold.")).to_be_visible()
    assert_accessible(page)

    # The export: every response, one row each, for Excel (UTF-8 with a BOM)
    export = page.request.get(page.get_by_role("link", name="Export CSV").get_attribute("href"))
    assert export.ok and export.headers["content-type"].startswith("text/csv")
    assert f'filename="survey-{survey_id}-answers.csv"' in export.headers["content-disposition"]
    assert export.body().startswith(b"\xef\xbb\xbf") and len(export.text().splitlines()) == 41

    # On a phone the charts fit the screen
    page.set_viewport_size(PHONE)
    expect(satisfaction).to_be_visible()
    assert_no_sideways_scroll(page)
    assert_accessible(page)


def test_written_answers_load_more_in_place(new_context, live_server):
    """Service staff read the 22 written answers: 20 at first, "Load more" adds the other two in place
    (htmx appends them; no new page) and goes away."""
    survey_id = demo_survey_id(live_server)
    page = staff_page(new_context)
    log_in(page, "service@example.com")
    page.wait_for_url("**/admin/")
    page.goto(f"/admin/surveys/{survey_id}/results")
    answers = page.get_by_role("list").filter(has_text="Keep it simple")
    expect(answers).to_be_visible()
    assert answers.get_by_role("listitem").count() == 20
    page.evaluate("() => { window.samePage = true }")
    page.get_by_role("link", name="Load more").click()
    expect(answers.get_by_role("listitem")).to_have_count(22)
    assert page.evaluate("() => window.samePage === true")
    expect(page.get_by_role("link", name="Load more")).to_have_count(0)
    assert_accessible(page)
