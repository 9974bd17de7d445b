"""The survey link /s/<token> (no login) and the member's "Surveys" page, with the home timeline."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.members.models import Member, PointsEntry
from portal.models import utcnow
from portal.surveys import services
from portal.surveys.models import MAX_TEXT_ANSWER, Answer, Invitation, Response
from tests.factories import make_member, make_staff
from tests.helpers import counting_queries, csrf_token, html, login, survey_build, survey_good_answers, tampered

INVALID = "This survey link is not valid or has expired"
ALREADY = "Thank you — already answered"


@pytest.fixture
def invited(app):
    """Mei (English) invited to a 5-question survey worth 50 points; (member, survey, invitation, link)."""
    mei = make_member(name="Mei Lin", email="mei@example.com")
    survey = survey_build(points=50, title_zh="會員滿意度調查",
                          introduction="Thank you for being a member.\nIt takes <b>two</b> minutes.")
    invitation = services.invite(mei, survey, email=False)
    db.session.commit()
    return mei, survey, invitation, f"/s/{services.invitation_token(invitation)}"


def fresh(client):
    """The client with no cookies at all: a browser whose session is long gone (the page open for hours)."""
    client._cookies.clear()
    return client


def post(client, link, data, **kwargs):
    return client.post(link, data=MultiDict(data), **kwargs)


def responses():
    return db.session.scalar(select(func.count()).select_from(Response))


def survey_points(member):
    return db.session.scalars(select(PointsEntry).where(PointsEntry.member_id == member.id,
                                                        PointsEntry.kind == "survey")).all()


def heading(response):
    return re.search(r"<h1[^>]*>(.*?)</h1>", html(response), re.S).group(1).strip()


# --- opening the link ---------------------------------------------------------------------------------


def test_the_link_opens_without_login_shows_the_survey_and_records_opened_once(client, invited):
    mei, survey, invitation, link = invited
    response = client.get(link)
    page = html(response)
    assert response.status_code == 200
    assert heading(response) == "Member satisfaction"
    # the introduction keeps its line break, as text, never as HTML
    assert "Thank you for being a member.\nIt takes &lt;b&gt;two&lt;/b&gt; minutes." in page
    assert "You earn 50 points for answering." in page
    assert "Question 3 of 5" in page and "0 of 5 questions answered" in page
    assert "Not at all likely" in page and "Extremely likely" in page
    assert f'maxlength="{MAX_TEXT_ANSWER}"' in page and "0 of 5,000 characters" in page
    assert "Send my answers" in page and "csrf_token\" value" not in page.split("survey-form")[1].split("</form>")[0]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    db.session.expire_all()
    opened = db.session.get(Invitation, invitation.id).opened_at
    assert opened is not None

    client.get(link)
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).opened_at == opened  # the first time only


def test_the_page_is_in_the_members_language_whatever_the_browser_says_until_the_visitor_switches(client, app):
    wen = make_member(name="Wen Chen", language="zh_Hant")
    survey = survey_build(title_zh="會員滿意度調查", points=20)
    link = f"/s/{services.invitation_token(services.invite(wen, survey, email=False))}"
    db.session.commit()
    response = client.get(link, headers={"Accept-Language": "en-GB,en;q=0.9"})
    page = html(response)
    assert '<html lang="zh-Hant">' in page
    assert heading(response) == "會員滿意度調查" and "您對會員計畫滿意嗎？" in page and "門市" in page
    # bad answers come back in Chinese too (the POST has no session: still the member's language)
    response = fresh(client).post(link, data={}, headers={"Accept-Language": "en"})
    assert response.status_code == 422 and "請回答這個問題。" in html(response)

    client.post("/language", data={"language": "en", "next": link, "csrf_token": csrf_token(client, link)})
    response = client.get(link)
    assert '<html lang="en">' in html(response) and heading(response) == "Member satisfaction"


# --- answering ----------------------------------------------------------------------------------------


def test_answers_are_stored_once_with_points_once_without_a_csrf_token_or_session(client, invited):
    mei, survey, invitation, link = invited
    client.get(link)
    response = post(fresh(client), link, survey_good_answers(survey))  # no cookie, no CSRF token
    assert response.status_code == 303
    assert response.headers["Location"] == f"{link}?thanks=1"

    thanks = client.get(response.headers["Location"])
    assert heading(thanks) == "Thank you"
    assert "50 points were added to your balance." in html(thanks)

    db.session.expire_all()
    saved = db.session.scalars(select(Response)).one()
    assert (saved.invitation_id, saved.language, saved.tier_id) == (invitation.id, "en", mei.tier_id)
    answers = {(a.question_id, a.number, a.choice_id, a.text) for a in saved.answers}
    q = survey.questions
    assert answers == {(q[0].id, 9, None, None), (q[1].id, 10, None, None), (q[2].id, None, q[2].choices[0].id, None),
                       (q[3].id, None, q[3].choices[0].id, None), (q[3].id, None, q[3].choices[2].id, None),
                       (q[4].id, None, None, "Friendly staff.\nMore events, please.")}
    assert len(survey_points(mei)) == 1 and db.session.get(Member, mei.id).points_balance == 50

    again = client.get(link)
    assert again.status_code == 200 and heading(again) == ALREADY
    assert "A survey can be answered once." in html(again)


def test_a_second_submit_from_another_tab_shows_already_answered_and_stores_nothing_more(client, invited):
    mei, survey, invitation, link = invited
    first_tab, second_tab = client.get(link), client.get(link)
    assert first_tab.status_code == second_tab.status_code == 200
    assert post(client, link, survey_good_answers(survey)).status_code == 303
    other = [(name, "3" if value == "9" else value) for name, value in survey_good_answers(survey)]
    response = post(client, link, other)
    assert response.status_code == 409 and heading(response) == ALREADY
    db.session.expire_all()
    assert responses() == 1 and db.session.scalar(select(func.count()).select_from(Answer)
                                                  .where(Answer.number == 3)) == 0
    assert len(survey_points(mei)) == 1 and db.session.get(Member, mei.id).points_balance == 50


def test_a_survey_without_points_awards_none(client, app):
    ann = make_member()
    survey = survey_build(kinds=("rating",))
    link = f"/s/{services.invitation_token(services.invite(ann, survey, email=False))}"
    db.session.commit()
    response = post(client, link, [(f"q{survey.questions[0].id}", "8")])
    assert response.status_code == 303
    page = html(client.get(response.headers["Location"]))
    assert "points" not in page.split("<main")[1] and "Question 1 of 1" not in page
    assert survey_points(ann) == [] and responses() == 1


def bad_inputs(survey):
    """(what, form data, the question the message is next to, the message) for each kind of bad input."""
    rating, nps, single, multi, text = survey.questions
    good = dict(survey_good_answers(survey))
    foreign = str(multi.choices[0].id)  # a choice, but of another question

    def data(**changes):
        values = [(name, value) for name, value in survey_good_answers(survey) if name not in changes]
        for name, value in changes.items():
            values += [(name, v) for v in (value if isinstance(value, list) else [value])]
        return values

    return [
        ("rating out of range", data(**{f"q{rating.id}": "11"}), rating, "Choose a number from 1 to 10."),
        ("rating zero", data(**{f"q{rating.id}": "0"}), rating, "Choose a number from 1 to 10."),
        ("nps below zero", data(**{f"q{nps.id}": "-1"}), nps, "Choose a number from 0 to 10."),
        ("nps not a number", data(**{f"q{nps.id}": "ten"}), nps, "Choose a number from 0 to 10."),
        ("two ratings", data(**{f"q{rating.id}": ["8", "9"]}), rating, "Choose a number from 1 to 10."),
        ("required rating missing", data(**{f"q{rating.id}": []}), rating, "Please answer this question."),
        ("required choice blank", data(**{f"q{single.id}": "  "}), single, "Please answer this question."),
        ("choice of another question", data(**{f"q{single.id}": foreign}), single, "Choose from the options offered."),
        ("two single choices", data(**{f"q{single.id}": [str(c.id) for c in single.choices[:2]]}), single,
         "Choose from the options offered."),
        ("unknown choice", data(**{f"q{multi.id}": [good[f"q{multi.id}"], "999999999999999999999"]}), multi,
         "Choose from the options offered."),
        ("text over 5,000 characters", data(**{f"q{text.id}": "x" * (MAX_TEXT_ANSWER + 1)}), text,
         "Keep your answer under 5,000 characters."),
    ]


def test_every_bad_input_gets_its_message_next_to_its_question_keeps_every_answer_and_stores_nothing(client, invited):
    mei, survey, invitation, link = invited
    for what, data, question, message in bad_inputs(survey):
        response = post(fresh(client), link, data)
        page = html(response)
        assert response.status_code == 422, what
        assert 'role="alert"' in page and "Please check your answers" in page, what
        fieldset = page.split(f'id="question-{question.id}"')[1].split("</fieldset>")[0]
        assert f'id="q{question.id}-error">{message}</p>' in fieldset, what
        assert re.search(rf'<fieldset[^>]*id="question-{question.id}"[^>]*aria-describedby="[^"]*q{question.id}-error"',
                         page), what
        assert f'href="#q{question.id}"' in page, what  # the summary links to the question
        # every other answer is still there
        for name, value in data:
            if name != f"q{question.id}" and value.strip():
                if name == f"q{survey.questions[4].id}":
                    assert "Friendly staff.\nMore events, please.</textarea>" in page, what
                else:
                    assert re.search(rf'name="{name}"\s+value="{re.escape(value)}"\s+id="[^"]+"\s*checked', page), \
                        (what, name, value)
    db.session.expire_all()
    assert responses() == 0 and db.session.scalar(select(func.count()).select_from(Answer)) == 0
    assert db.session.get(Invitation, invitation.id).answered_at is None
    assert survey_points(mei) == [] and db.session.get(Member, mei.id).points_balance == 0


def test_a_text_of_exactly_5000_characters_with_line_breaks_is_taken_and_control_characters_dropped(client, invited):
    mei, survey, invitation, link = invited
    text_question = survey.questions[4]
    # 5,000 characters as the browser counted them: its 49 line breaks arrive as CR LF
    text = "\r\n".join(["y" * 100] + ["y" * 99] * 49) + "\x00\x0b"
    data = [(n, v) for n, v in survey_good_answers(survey) if n != f"q{text_question.id}"]
    response = post(client, link, data + [(f"q{text_question.id}", text)])
    assert response.status_code == 303
    stored = db.session.scalar(select(Answer.text).where(Answer.question_id == text_question.id))
    assert len(stored) == 5000 and "\r" not in stored and "\x00" not in stored


def test_optional_questions_may_be_left_out(client, invited):
    mei, survey, invitation, link = invited
    optional = {f"q{q.id}" for q in survey.questions if not q.required}
    data = [(n, v) for n, v in survey_good_answers(survey) if n not in optional]
    assert post(client, link, data).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 3


# --- links that do not work -------------------------------------------------------------------------


def test_expired_tampered_unknown_and_other_survey_tokens_get_the_one_clear_404_page(client, invited, app):
    mei, survey, invitation, link = invited
    other = survey_build(title="Another survey", kinds=("rating",))
    expired = services.invite(make_member(), survey, email=False)
    expired.expires_at = utcnow() - timedelta(minutes=1)
    closed_survey = survey_build(title="Closed", kinds=("rating",))
    closed = services.invite(make_member(), closed_survey, email=False)
    closed_survey.status = "closed"
    db.session.commit()
    token = link.removeprefix("/s/")
    serializer = services._serializer()
    links = {
        "expired": f"/s/{services.invitation_token(expired)}",
        "closed": f"/s/{services.invitation_token(closed)}",
        "tampered": f"/s/{tampered(token)}",
        "cut short": f"/s/{token[:-6]}",
        "another invitation id": "/s/" + serializer.dumps([invitation.id + 1000, survey.id]),
        "another survey": "/s/" + serializer.dumps([invitation.id, other.id]),
        "not ours": "/s/" + serializer.dumps(["x", 1]),
        "garbage": "/s/not-a-token",
    }
    pages = set()
    for what, url in links.items():
        for response in (client.get(url), post(fresh(client), url, survey_good_answers(survey))):
            assert response.status_code == 404, what
            assert heading(response) == INVALID, what
            assert "Log in to see your surveys" in html(response), what
            assert response.headers["Referrer-Policy"] == "no-referrer"
            pages.add(html(response).split("<main")[1].split("</main>")[0])
    assert len(pages) == 1  # one page for them all
    db.session.expire_all()
    assert responses() == 0 and survey_points(mei) == []
    assert db.session.get(Invitation, expired.id).opened_at is None


def test_a_post_from_another_site_is_refused_and_a_silent_or_null_origin_is_not(client, invited):
    mei, survey, invitation, link = invited
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"}):
        response = post(client, link, survey_good_answers(survey), headers=headers)
        assert response.status_code == 403, headers
    assert responses() == 0
    response = post(client, link, survey_good_answers(survey), headers={"Origin": "null"})
    assert response.status_code == 303 and responses() == 1


# --- "Surveys" and the home timeline -----------------------------------------------------------------


def test_surveys_lists_only_the_members_own_open_surveys(client, app):
    ann, bea = make_member(email="ann@example.com"), make_member(email="bea@example.com")
    open_one = survey_build(title="Ann open survey", points=30, kinds=("rating",))
    answered = survey_build(title="Ann answered survey", kinds=("rating",))
    expired = survey_build(title="Ann expired survey", kinds=("rating",))
    beas = survey_build(title="Bea only survey", kinds=("rating",))
    mine = services.invite(ann, open_one, email=False)
    services.submit(services.invite(ann, answered, email=False),
                    services.read_answers(answered, MultiDict({f"q{answered.questions[0].id}": "9"})))
    services.invite(ann, expired, email=False).expires_at = utcnow() - timedelta(days=1)
    bea_invitation = services.invite(bea, beas, email=False)
    db.session.commit()
    assert client.get("/surveys").status_code == 302  # log in first
    login(client, "ann@example.com")
    for url in ("/surveys", f"/surveys?member_id={bea.id}", f"/surveys?invitation={bea_invitation.id}"):
        page = html(client.get(url))
        assert "Ann open survey" in page and "30 points" in page, url
        assert f'href="/s/{services.invitation_token(mine)}"' in page, url
        for absent in ("Ann answered survey", "Ann expired survey", "Bea only survey",
                       services.invitation_token(bea_invitation)):
            assert absent not in page, (url, absent)


def test_surveys_with_nothing_open_says_so_and_is_for_members_only(client, app):
    make_member(email="ann@example.com")
    staff = make_staff("operations")
    db.session.commit()
    login(client, "ann@example.com")
    assert "No surveys are waiting for you." in html(client.get("/surveys"))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/surveys")})
    login(client, staff.email)
    assert client.get("/surveys").status_code == 403


def test_the_member_navigation_links_to_surveys(client, app):
    make_member(email="ann@example.com")
    login(client, "ann@example.com")
    assert html(client.get("/")).count('href="/surveys"') == 2  # in the row (wide screens) and in "More"


def test_an_answered_survey_shows_on_the_home_timeline_within_the_query_budget(client, invited):
    mei, survey, invitation, link = invited
    login(client, "mei@example.com")
    with counting_queries() as before:
        assert client.get("/").status_code == 200
    assert post(client, link, survey_good_answers(survey)).status_code == 303
    with counting_queries() as after:
        response = client.get("/")
    activity = html(response).split('id="activity-heading"')[1].split("</section>")[0]
    rows = re.findall(r"<strong>(.*?)</strong>\s*<span class=\"detail\">(.*?)</span>", activity)
    assert ("Answered a survey", "Member satisfaction") in rows and ("Survey", "Member satisfaction") in rows
    # the timeline is still one query (now with surveys in it), plus one for the names its rows name
    assert len([s for s in after if "UNION ALL" in s and "FROM survey_invitations" in s]) == 1
    assert len([s for s in after if "FROM surveys" in s]) == 1
    assert len(after) <= 8 and len(after) == len(before) + 1, "\n".join(after)

    mei.language = "zh_Hant"
    db.session.commit()
    page = html(client.get("/"))
    assert "會員滿意度調查" in page.split('id="activity-heading"')[1]
