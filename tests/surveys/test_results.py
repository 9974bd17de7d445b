"""A survey's results for staff at /admin/surveys/<id>/results: each number against answers counted
by hand (who was invited, opened, answered; distributions, average, satisfaction against the 90%
target, NPS), the free-text answers a page at a time, the tier filter, anonymity, who may see them,
the CSV export (streamed, one row per response), and a fixed number of queries however many answers."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.members.models import Member, Tier
from portal.models import utcnow
from portal.surveys import results, services
from portal.surveys.models import Answer, Choice, Invitation, Question, Response, Survey
from tests.factories import make_member
from tests.helpers import as_staff, counting_queries, html, login

START = utcnow() - timedelta(days=10)


def survey_made(anonymous=False, title="Member satisfaction"):
    """A sent survey with one question of each kind: rating, NPS (optional), single choice, multiple
    choice (optional) and free text (optional)."""
    survey = Survey(title=title, title_zh="會員滿意度", anonymous=anonymous)
    survey.questions = [
        Question(kind="rating", text="How satisfied are you?", position=1),
        Question(kind="nps", text="Would you recommend us?", position=2, required=False),
        Question(kind="single_choice", text="Which store?", position=3,
                 choices=[Choice(label="Xinyi", position=1), Choice(label="Da'an", position=2),
                          Choice(label="Online", position=3)]),
        Question(kind="multi_choice", text="What would you like more of?", position=4, required=False,
                 choices=[Choice(label="Events", position=1), Choice(label="Rewards", position=2),
                          Choice(label="Workshops", position=3)]),
        Question(kind="text", text="Anything else?", position=5, required=False),
    ]
    db.session.add(survey)
    db.session.flush()
    return survey


def answer(survey, member, rating=None, nps=None, single=None, multi=(), text=None, language="en", at=None):
    """`member` invited and answering (choices by label); returns the response."""
    rating_q, nps_q, single_q, multi_q, text_q = survey.questions
    labels = {c.label: c.id for q in (single_q, multi_q) for c in q.choices}
    values = {rating_q.id: rating, nps_q.id: nps, single_q.id: [labels[single]] if single else None,
              multi_q.id: sorted(labels[m] for m in multi) or None, text_q.id: text}
    invitation = services.invite(member, survey, email=False, now=at or START)
    return services.submit(invitation, services.Answers(values={k: v for k, v in values.items() if v is not None}),
                           language, now=at or START + timedelta(hours=1))


# rating, NPS, single, multiple, text, tier — counted by hand in the tests below.
ANSWERS = (
    (10, 10, "Xinyi", ("Events", "Rewards"), "Great staff", "gold"),
    (9, 9, "Xinyi", ("Events",), "=SUM(1+1)", "gold"),
    (8, 8, "Da'an", ("Rewards", "Workshops"), None, "gold"),
    (8, 9, "Xinyi", (), None, "regular"),
    (7, 3, "Online", ("Workshops",), None, "regular"),
    (3, None, "Da'an", ("Rewards", "Workshops"), "Too slow; 太慢了", "regular"),
)


@pytest.fixture
def answered(app):
    """The survey, ANSWERS given (an hour apart), two invitations not answered (a gold member who
    opened the link, a regular member who did not)."""
    survey = survey_made()
    members = []
    for n, (rating, nps, single, multi, text, tier) in enumerate(ANSWERS):
        member = make_member(name=f"Answerer {n}", tier=tier)
        answer(survey, member, rating, nps, single, multi, text, language="zh_Hant" if n == 5 else "en",
               at=START + timedelta(hours=n))
        members.append(member)
    opened = services.invite(make_member(name="Opener", tier="gold"), survey, email=False, now=START)
    services.mark_opened(opened)
    services.invite(make_member(name="Silent", tier="regular"), survey, email=False, now=START)
    db.session.commit()
    return survey, members


def tier_id(code):
    return db.session.scalar(select(Tier.id).where(Tier.code == code))


def test_invited_opened_answered_and_the_response_rate(answered):
    survey, _ = answered
    found = results.survey_results(survey)
    assert (found.invited, found.opened, found.answered) == (8, 7, 6)  # answering counts as opening
    assert found.response_rate == Decimal("75.0")


def test_the_rating_question_distribution_average_and_satisfaction_against_the_target(answered):
    survey, _ = answered
    found = results.survey_results(survey)
    rating = found.questions[0]
    assert rating.answered == 6
    assert [(bar.number, bar.count) for bar in rating.bars] == [
        (1, 0), (2, 0), (3, 1), (4, 0), (5, 0), (6, 0), (7, 1), (8, 2), (9, 1), (10, 1)]
    assert rating.bars[7].share == Decimal("33.3") and rating.bars[0].share == Decimal("0.0")
    assert rating.average == Decimal("7.5")  # 45 / 6
    assert (rating.satisfied, rating.satisfaction, rating.target_met) == (4, Decimal("66.7"), False)
    assert (found.satisfied, found.rated, found.satisfaction, found.target_met) == (4, 6, Decimal("66.7"), False)


def test_the_target_is_met_at_ninety_per_cent_exactly(app):
    survey = survey_made()
    for n, rating in enumerate((10, 9, 9, 8, 8, 8, 10, 9, 8, 7)):
        answer(survey, make_member(name=f"R{n}"), rating, single="Xinyi")
    found = results.survey_results(survey)
    assert (found.satisfaction, found.target_met) == (Decimal("90.0"), True)
    assert found.questions[0].target_met is True


def test_nps_counts_promoters_passives_and_detractors(answered):
    survey, _ = answered
    nps = results.survey_results(survey).questions[1]
    assert nps.answered == 5  # one response left it out
    assert [(bar.number, bar.count) for bar in nps.bars][8:] == [(8, 1), (9, 2), (10, 1)]
    assert len(nps.bars) == 11 and nps.bars[0].number == 0
    assert (nps.promoters, nps.passives, nps.detractors) == (3, 1, 1)
    assert nps.nps == Decimal("40.0")  # 60% promoters − 20% detractors
    assert nps.average == Decimal("7.8")  # 39 / 5


def test_choices_count_with_their_shares_and_multiple_choice_per_option(answered):
    survey, _ = answered
    found = results.survey_results(survey)
    single, multi = found.questions[2], found.questions[3]
    assert [(bar.choice.label, bar.count, bar.share) for bar in single.bars] == [
        ("Xinyi", 3, Decimal("50.0")), ("Da'an", 2, Decimal("33.3")), ("Online", 1, Decimal("16.7"))]
    assert multi.answered == 5  # of 6 responses; shares are of these five and add up to more than 100%
    assert [(bar.choice.label, bar.count, bar.share) for bar in multi.bars] == [
        ("Events", 2, Decimal("40.0")), ("Rewards", 3, Decimal("60.0")), ("Workshops", 3, Decimal("60.0"))]


def test_the_tier_filter_counts_the_tier_the_answer_was_given_in(answered):
    survey, members = answered
    gold = tier_id("gold")
    members[0].tier_id = tier_id("regular")  # moved down after answering: the answer stays gold's
    db.session.flush()
    found = results.survey_results(survey, gold)
    assert (found.invited, found.opened, found.answered) == (4, 4, 3)
    rating, nps, single = found.questions[:3]
    assert (rating.answered, rating.average, rating.satisfaction, rating.target_met) == (
        3, Decimal("9.0"), Decimal("100.0"), True)
    assert (nps.promoters, nps.passives, nps.detractors, nps.nps) == (2, 1, 0, Decimal("66.7"))
    assert [bar.count for bar in single.bars] == [2, 1, 0]
    assert [t.text for t in found.questions[4].texts] == ["=SUM(1+1)", "Great staff"]
    regular = results.survey_results(survey, tier_id("regular"))
    assert (regular.invited, regular.answered, regular.questions[0].average) == (4, 3, Decimal("6.0"))


def test_the_page_shows_the_numbers_charts_and_the_target(client, answered):
    survey, members = answered
    as_staff(client, "operations")
    response = client.get(f"/admin/surveys/{survey.id}/results")
    page = html(response)
    assert response.status_code == 200
    assert "Results: Member satisfaction" in page
    for label, value in (("Invited", "8"), ("Opened", "7"), ("Answered", "6"), ("Response rate", "75.0%")):
        assert re.search(rf"<dt>{label}</dt><dd>{re.escape(value)}</dd>", page), label
    assert "66.7%" in page and "Target 90%: not met" in page
    assert "7.5 of 10" in page and "+40" in page
    charts = re.findall(r'<svg class="bars" role="img" aria-label="([^"]+)"', page)
    assert len(charts) == 6  # rating: satisfaction + 1–10; NPS: groups + 0–10; the two choice questions
    assert any(c.startswith("Satisfaction: answers of 8 or more: 8–10: 66.7% (4 of 6)") and "Target 90%" in c
               for c in charts)
    assert any("8: 2 (33.3%)" in c for c in charts)
    assert 'class="target"' in page and ">Target 90%</text>" in page
    assert page.count('<details class="chart-table">') == 6 and "<th scope=\"row\">Xinyi</th><td>3 (50.0%)</td>" in page
    assert "Too slow; 太慢了" in page and "Great staff" in page
    assert members[0].name in page  # not anonymous: staff see who wrote what
    gold = html(client.get(f"/admin/surveys/{survey.id}/results?tier=gold"))
    assert "Target 90%: met" in gold and "Too slow" not in gold and 'aria-current="page">Gold</a>' in gold


def test_anonymous_surveys_never_show_who_answered(client, app):
    survey = survey_made(anonymous=True)
    ann = make_member(name="Ann Anonymous", email="ann.anon@example.com")
    answer(survey, ann, 9, 10, "Xinyi", ("Events",), "A secret remark")
    db.session.commit()
    as_staff(client, "service")
    page = html(client.get(f"/admin/surveys/{survey.id}/results"))
    assert "A secret remark" in page and "This survey is anonymous" in page
    assert ann.name not in page and ann.number not in page and ann.email not in page
    assert f"/admin/members/{ann.id}" not in page
    export = client.get(f"/admin/surveys/{survey.id}/results.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(export)))
    assert "Member number" not in rows[0] and rows[0][:4] == ["Response", "Submitted at", "Tier", "Language"]
    assert ann.number not in export and ann.name not in export and ann.email not in export


def test_free_text_answers_come_twenty_at_a_time_newest_first(client, app):
    survey = survey_made()
    for n in range(45):
        answer(survey, make_member(name=f"Writer {n}"), 9, single="Xinyi", text=f"Remark number {n:02d}",
               at=START + timedelta(minutes=n))
    db.session.commit()
    question = survey.questions[4]
    first, more = results.text_pages(survey, [question])[question.id]
    assert [t.text for t in first] == [f"Remark number {n:02d}" for n in range(44, 24, -1)] and more
    second, more = results.text_pages(survey, [question], after=(question.id, first[-1].id))[question.id]
    assert [t.text for t in second] == [f"Remark number {n:02d}" for n in range(24, 4, -1)] and more
    third, more = results.text_pages(survey, [question], after=(question.id, second[-1].id))[question.id]
    assert [t.text for t in third] == [f"Remark number {n:02d}" for n in range(4, -1, -1)] and not more

    as_staff(client, "operations")
    base = f"/admin/surveys/{survey.id}/results"
    page = html(client.get(base))
    assert "Remark number 44" in page and "Remark number 25" in page and "Remark number 24" not in page
    next_page = f"{base}?question={question.id}&amp;after={first[-1].id}"
    assert f'href="{next_page}#question-{question.id}"' in page and f'hx-get="{next_page}"' in page
    # htmx: only the next answers and the next "Load more", to append
    partial = client.get(f"{base}?question={question.id}&after={first[-1].id}", headers={"HX-Request": "true"})
    fragment = html(partial)
    assert partial.status_code == 200 and "<html" not in fragment and "HX-Request" in partial.headers["Vary"]
    assert fragment.count("<li>") == 20 and "Remark number 24" in fragment and "Remark number 44" not in fragment
    assert f"after={second[-1].id}" in fragment
    # without JavaScript: the whole page, that question starting after the last one shown
    plain = html(client.get(f"{base}?question={question.id}&after={second[-1].id}"))
    assert "<html" in plain and "Older answers." in plain and "Back to the newest" in plain
    assert "Remark number 04" in plain and "Remark number 05" not in plain and "Load more" not in plain
    assert client.get(f"{base}?question={survey.questions[0].id}&after=1",
                      headers={"HX-Request": "true"}).status_code == 404


def test_the_csv_has_one_row_per_response_streamed_with_a_bom_and_guarded(client, answered):
    survey, members = answered
    as_staff(client, "service")
    response = client.get(f"/admin/surveys/{survey.id}/results.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv" and response.is_streamed
    assert f'filename="survey-{survey.id}-answers.csv"' in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["Response", "Submitted at", "Tier", "Language", "Member number", "1. How satisfied are you?",
                       "2. Would you recommend us?", "3. Which store?", "4. What would you like more of?",
                       "5. Anything else?"]
    assert len(rows) == 1 + len(ANSWERS)  # one row per response, whatever the number of answers
    responses = db.session.scalars(select(Response).where(Response.survey_id == survey.id)
                                   .order_by(Response.id)).all()
    by_id = {int(row[0]): row for row in rows[1:]}
    first, second, last = (by_id[responses[n].id] for n in (0, 1, 5))
    assert first[2:] == ["Gold", "en", members[0].number, "10", "10", "Xinyi", "Events; Rewards", "Great staff"]
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d$", first[1])
    assert second[9] == "'=SUM(1+1)"  # a formula is shown as text
    assert last[2:] == ["Regular", "zh_Hant", members[5].number, "3", "", "Da'an", "Rewards; Workshops",
                        "Too slow; 太慢了"]


def test_the_csv_time_is_the_programme_time(client, app):
    survey = survey_made()
    answer(survey, make_member(), 9, single="Xinyi", at=START.replace(hour=16, minute=30))  # 00:30 in Taipei
    db.session.commit()
    as_staff(client)
    rows = list(csv.reader(io.StringIO(client.get(f"/admin/surveys/{survey.id}/results.csv").data
                                       .decode("utf-8-sig"))))
    assert rows[1][1] == (START.replace(hour=16, minute=30) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")


def test_who_may_see_the_results(client, answered):
    survey, _ = answered
    base = f"/admin/surveys/{survey.id}"
    assert client.get(f"{base}/results").status_code == 302  # to the login page
    for role, status in (("operations", 200), ("service", 200), ("admin", 200), ("expansion", 403)):
        other = client.application.test_client()
        as_staff(other, role, name=f"Pat {role}")
        assert other.get(f"{base}/results").status_code == status, role
        assert other.get(f"{base}/results.csv").status_code == status, role
    member = client.application.test_client()
    login(member, make_member(name="Curious member").email)
    assert member.get(f"{base}/results").status_code == 403
    assert member.get(f"{base}/results.csv").status_code == 403
    staff = client.application.test_client()
    as_staff(staff)
    assert staff.get("/admin/surveys/999999/results").status_code == 404
    assert staff.get("/admin/surveys/999999/results.csv").status_code == 404


def test_a_survey_with_no_answers_yet(client, app):
    survey = survey_made()
    services.invite(make_member(), survey, email=False)
    db.session.commit()
    as_staff(client)
    page = html(client.get(f"/admin/surveys/{survey.id}/results"))
    assert "No answers yet." in page and "No written answers yet." in page and "<svg" not in page
    assert re.search(r"<dt>Response rate</dt><dd>0.0%</dd>", page)


# ---- a fixed number of queries ----------------------------------------------------------------------

def survey_bulk_answers(count):
    """A survey with `count` responses, each answering every question, written in bulk."""
    survey = survey_made(title=f"Bulk {count}")
    rating_q, nps_q, single_q, multi_q, text_q = survey.questions
    tier = db.session.scalar(select(Tier).where(Tier.code == "regular"))
    members = [Member(name=f"Bulk {count} {n}", email=f"bulk-{count}-{n}@example.com", password_hash="x",
                      status="active", tier=tier) for n in range(count)]
    db.session.add_all(members)
    db.session.flush()
    invitations = [Invitation(survey_id=survey.id, member_id=m.id, expires_at=START + timedelta(days=30),
                              answered_at=START) for m in members]
    db.session.add_all(invitations)
    db.session.flush()
    for n, invitation in enumerate(invitations):
        db.session.add(Response(survey_id=survey.id, invitation_id=invitation.id, tier_id=tier.id, answers=[
            Answer(question_id=rating_q.id, number=n % 10 + 1), Answer(question_id=nps_q.id, number=n % 11),
            Answer(question_id=single_q.id, choice_id=single_q.choices[n % 3].id),
            Answer(question_id=multi_q.id, choice_id=multi_q.choices[0].id),
            Answer(question_id=multi_q.id, choice_id=multi_q.choices[n % 2 + 1].id),
            Answer(question_id=text_q.id, text=f"Text {n}")]))
    survey.status = "sent"
    db.session.commit()
    return survey


def test_the_results_page_runs_a_fixed_number_of_queries_however_many_answers(client, app):
    few, many = survey_bulk_answers(5), survey_bulk_answers(500)
    as_staff(client)
    counts = []
    for survey in (few, many):
        with counting_queries() as statements:
            response = client.get(f"/admin/surveys/{survey.id}/results")
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 14, counts
    page = html(client.get(f"/admin/surveys/{many.id}/results"))
    assert "Load more" in page and "500 answers" in page
    with counting_queries() as statements:
        export = client.get(f"/admin/surveys/{many.id}/results.csv").data.decode("utf-8-sig")
    assert len(export.splitlines()) == 501 and len(statements) <= 8, statements
