"""Tap targets on a 360 px phone, in both languages: every standalone link and button on every
member page is at least 44×44 px, and targets stacked one above the other keep 8 px apart.

Links in running text are excepted, as WCAG 2.5.8 excepts them: a link is "in running text" when
visible text that is not part of any link or button shares its line boxes, i.e. the nearest
ancestor that is not `display: inline` (the block the link flows in) holds text outside the
link whose own nearest non-inline ancestor is that same block. A link alone in its paragraph,
or a row of buttons, is standalone; "Older entries. <a>Back to the newest</a>" is running text.
"""

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.helpers import HOME, add_event, add_reward, add_ticket, click_and_load, give_points, log_in, member_nav_link

pytestmark = pytest.mark.e2e

SMALL_PHONE = {"width": 360, "height": 800}
MIN_SIZE = 44
MIN_GAP = 8

MEASURE = """
({minSize, minGap}) => {
  const TARGETS = 'a[href], button, summary, [role="button"], input[type="submit"], input[type="button"]';
  const style = (el) => getComputedStyle(el);
  const inline = (el) => ["inline", "contents"].includes(style(el).display);
  // The block an element flows in: its nearest ancestor that is not display: inline.
  const blockOf = (node) => {
    let el = node.parentElement;
    while (el && el !== document.body && inline(el)) el = el.parentElement;
    return el;
  };
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    // checkVisibility: not display: none, not inside a closed <details>, not visibility: hidden
    return el.checkVisibility({visibilityProperty: true}) && r.width > 0 && r.height > 0
      && r.right > 0 && r.bottom + window.scrollY > 0;  // the skip link waits off-screen until focused
  };
  const targets = [...document.querySelectorAll(TARGETS)].filter(shown);
  const inRunningText = (el) => {
    const block = blockOf(el);
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      if (!text.textContent.trim() || el.contains(text)) continue;
      if (targets.some((t) => t.contains(text))) continue;  // another link's or button's label
      if (blockOf(text) === block && shown(text.parentElement)) return true;
    }
    return false;
  };
  const name = (el) => (el.getAttribute("aria-label") || el.textContent || el.value || "").trim().replace(/\\s+/g, " ");
  const measured = targets.filter((el) => !inRunningText(el)).map((el) => {
    const r = el.getBoundingClientRect();
    return {el, name: name(el), tag: el.tagName.toLowerCase(), top: r.top + scrollY, bottom: r.bottom + scrollY,
            left: r.left, right: r.right, width: r.width, height: r.height};
  });
  const problems = [];
  for (const t of measured) {
    if (t.width < minSize - 0.5 || t.height < minSize - 0.5)
      problems.push(`${t.tag} "${t.name}" is ${t.width.toFixed(1)}×${t.height.toFixed(1)} px`);
  }
  for (const a of measured) {
    for (const b of measured) {
      if (a === b || a.el.contains(b.el) || b.el.contains(a.el)) continue;
      const overlap = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const gap = b.top - a.bottom;  // b below a
      if (overlap > 1 && gap > -0.5 && gap < minGap - 0.5)
        problems.push(`"${a.name}" and "${b.name}" below it are ${gap.toFixed(1)} px apart`);
    }
  }
  return {problems, count: measured.length, names: measured.map((t) => t.name)};
}
"""


def measure(page):
    """The tap-target problems on the page as it is now; fails if it found nothing to measure."""
    page.wait_for_load_state("load")
    result = page.evaluate(MEASURE, {"minSize": MIN_SIZE, "minGap": MIN_GAP})
    assert result["count"] >= 5, f"{page.url}: only {result['names']} measured"
    return [f"{page.url}: {problem}" for problem in result["problems"]]


def test_the_measure_finds_small_and_crowded_targets_but_not_links_in_text(page):
    page.set_viewport_size(SMALL_PHONE)
    page.set_content("""
      <nav><a href="/1">One</a> <a href="/2">Two</a> <a href="/3">Three</a></nav>
      <p>Read <a href="/terms">the terms</a> first.</p>
      <p><a href="/alone" style="display:inline-block;min-height:44px;min-width:44px">Alone and big</a></p>
      <div><button class="b">Top</button><button class="b">Under</button></div>
      <div><button class="b" style="margin-bottom:8px">Spaced</button><button class="b">Fine</button></div>
      <style>.b { display: block; height: 44px; }</style>
    """)
    problems = page.evaluate(MEASURE, {"minSize": MIN_SIZE, "minGap": MIN_GAP})["problems"]
    assert any('"One" is' in p for p in problems) and any('"Three" is' in p for p in problems)
    assert not any("the terms" in p for p in problems)  # a link in running text
    assert not any("Alone and big" in p for p in problems)
    assert any('"Top" and "Under" below it are 0.0 px apart' in p for p in problems)
    assert not any('"Spaced" and "Fine"' in p for p in problems)


@pytest.mark.parametrize("language", ["en", "zh_Hant"])
def test_every_member_page_has_big_enough_tap_targets(page, live_server, new_member, language):
    member = new_member(name="Tara Tapper", language=language)
    give_points(live_server.app, member.email, 1500, 700)
    reward_id = add_reward(live_server.app, f"Tote bag {uuid.uuid4().hex[:6]}", points_cost=300)
    event_id = add_event(live_server.app, f"Tea tasting {uuid.uuid4().hex[:6]}", online=True)
    ticket_number = add_ticket(live_server.app, member.email, status="resolved")
    page.set_viewport_size(SMALL_PHONE)
    log_in(page, member.email, member.password)  # then the member's own language
    page.wait_for_url(HOME)

    problems = []
    for path in ("/", "/points", "/benefits", "/card", "/rewards", f"/rewards/{reward_id}", "/profile",
                 "/events", "/events?show=my_tier", f"/events/{event_id}", "/tickets", "/tickets/new",
                 f"/tickets/{ticket_number}"):
        page.goto(path)
        problems += measure(page)

    # The "More" menu, open
    page.goto("/")
    words = {"name": "Profile", "nav": "Member", "more": "More"} if language == "en" else \
        {"name": "個人資料", "nav": "會員", "more": "更多"}
    expect(member_nav_link(page, **words)).to_be_visible()
    problems += measure(page)

    # The confirmation step, then the voucher it gives, My rewards and the notification it sent
    page.goto(f"/rewards/{reward_id}")
    page.get_by_role("link", name="Redeem" if language == "en" else "兌換", exact=True).click()
    confirm = page.get_by_role("button", name=re.compile("^(Confirm and redeem|確認兌換)$"))
    expect(confirm).to_be_visible()
    problems += measure(page)
    click_and_load(page, confirm)
    expect(page).to_have_url(re.compile(r"/rewards/my/\d+$"))
    problems += measure(page)
    for path in ("/rewards/my", "/notifications"):
        page.goto(path)
        problems += measure(page)

    # Registered for an event: its page (calendar link, online link, Cancel registration), My events
    page.goto(f"/events/{event_id}")
    page.get_by_role("button", name="Register" if language == "en" else "報名", exact=True).click()
    expect(page.get_by_role("button", name="Cancel registration" if language == "en" else "取消報名")).to_be_visible()
    problems += measure(page)
    page.goto("/events/mine")
    problems += measure(page)

    assert not problems, "tap targets too small or too close:\n" + "\n".join(problems)

