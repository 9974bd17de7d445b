"""Journeys: operations build a survey in the browser (settings, a rating question, a choice question
with Chinese choices), move a question up through htmx and down again without JavaScript, and see
the phone-sized preview; every page passes axe."""

import uuid

import pytest
from playwright.sync_api import expect

from tests.helpers import assert_accessible, assert_no_sideways_scroll, click_and_load, log_in, staff_page

pytestmark = pytest.mark.e2e


def check(page):
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def questions(page):
    """The survey's questions in order: the items of the "Questions" list that have a Delete button
    (the choices listed under a question are items too)."""
    return page.get_by_role("list", name="Questions").get_by_role("listitem").filter(
        has=page.get_by_role("button", name="Delete"))


def in_order(page, *texts):
    items = questions(page)
    expect(items).to_have_count(len(texts))
    for n, text in enumerate(texts):
        expect(items.nth(n)).to_contain_text(text)


def test_operations_build_a_survey_reorder_its_questions_and_preview_it(new_context, no_js_page):
    title = f"Tea club survey {uuid.uuid4().hex[:6]}"
    page = staff_page(new_context)
    log_in(page, "ops@example.com")
    page.wait_for_url("**/admin/")
    click_and_load(page, page.get_by_role("navigation", name="Staff").get_by_role("link", name="Surveys"))
    expect(page.get_by_role("heading", name="Surveys", exact=True)).to_be_visible()
    check(page)

    click_and_load(page, page.get_by_role("link", name="New survey"))
    expect(page.get_by_label("Links work for (days)")).to_have_value("30")
    expect(page.get_by_label("Reminder after (days)")).to_have_value("3")
    check(page)
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Points for completing it").fill("20")
    page.get_by_label("After event attendance").check()
    click_and_load(page, page.get_by_role("button", name="Save as a draft"))
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    expect(page.get_by_text("No questions yet.")).to_be_visible()
    check(page)

    add = page.get_by_role("form", name="Add a question")
    add.get_by_label("Question", exact=True).fill("How satisfied are you with the club?")
    click_and_load(page, add.get_by_role("button", name="Add the question"))
    add = page.get_by_role("form", name="Add a question")
    add.get_by_label("Kind").select_option(label="Several choices")
    add.get_by_label("Question", exact=True).fill("Which teas do you like?")
    add.get_by_label("Choices").fill("Oolong | 烏龍\nJasmine | 茉莉")
    add.get_by_label("An answer is required").uncheck()
    click_and_load(page, add.get_by_role("button", name="Add the question"))
    expect(page.get_by_text("茉莉", exact=True)).to_be_visible()
    in_order(page, "How satisfied are you with the club?", "Which teas do you like?")
    check(page)

    # htmx: "Move up" swaps the list in place (no new page).
    page.get_by_role("button", name="Move up").click()
    in_order(page, "Which teas do you like?", "How satisfied are you with the club?")
    expect(page.get_by_role("button", name="Move up")).to_have_count(1)
    check(page)

    # Without JavaScript the same button is a form that posts and comes back to the page.
    survey_url = page.url
    log_in(no_js_page, "ops@example.com")
    no_js_page.goto(survey_url)
    no_js_page.get_by_role("button", name="Move down").click()
    no_js_page.wait_for_load_state("load")
    in_order(no_js_page, "How satisfied are you with the club?", "Which teas do you like?")
    assert "#question-" in no_js_page.url  # back at the question it moved
    no_js_page.goto(no_js_page.url.split("#")[0])  # the axe helper serves its copy at the URL without the fragment
    assert_accessible(no_js_page)

    page.reload()
    click_and_load(page, page.get_by_role("link", name="Preview"))
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    preview = page.get_by_role("region", name="The survey on a phone")
    expect(preview.get_by_role("group", name="How satisfied are you with the club?")).to_be_visible()
    expect(preview.get_by_role("radio", name="10")).to_be_visible()
    expect(preview.get_by_role("checkbox", name="Jasmine")).to_be_visible()
    check(page)
