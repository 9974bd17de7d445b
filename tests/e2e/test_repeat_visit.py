"""A member comes back: her phone asks the server for the page and nothing else (portal/assets.py)."""

import pytest
from playwright.sync_api import expect

from tests.helpers import log_in

pytestmark = pytest.mark.e2e


def network_requests(context, page, url):
    """Open `url` in `page`; the requests that went to the server (not answered from the cache)."""
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    sent = []

    def received(event):
        response = event["response"]
        if not (response.get("fromDiskCache") or response.get("fromMemoryCache") or response.get("fromPrefetchCache")):
            sent.append((response["url"].split("/", 3)[-1], response["status"]))

    cdp.on("Network.responseReceived", received)
    page.goto(url)
    expect(page.get_by_role("main")).to_be_visible()
    page.wait_for_load_state("load")
    cdp.detach()
    return sent


def test_a_repeat_visit_to_the_home_costs_one_request(context, page, new_member):
    member = new_member()
    log_in(page, member.email, member.password)
    first = network_requests(context, page, "/")
    assert len(first) >= 4  # the page, its stylesheet, icon and scripts, the first time
    again = network_requests(context, context.new_page(), "/")  # a new tab: only the disk cache is shared
    assert again == [("", 200)], again
