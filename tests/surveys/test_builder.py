"""The survey builder at /admin/surveys: who may see and change surveys, the survey form and its bad
input, questions (add, change, delete, move with and without JavaScript), the preview, frozen
surveys and copying them to a new draft."""

import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.surveys import builder, services
from portal.surveys.models import Choice, Question, Survey
from tests.factories import make_member, make_staff, make_survey
from tests.helpers import counting_queries, csrf_token, html, login, post_form

NEW_SURVEY = {
    "title": "Member satisfaction 2027", "title_zh": "2027 會員滿意度", "introduction": "Two minutes.\nThank you!",
    "introduction_zh": "", "points": "30", "expiry_days": "30", "reminder_days": "3", "trigger": "",
}


def as_role(client, role):
    staff = make_staff(role, name=f"Pat {role.title()}")
    db.session.commit()
    login(client, staff.email)
    return staff


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audits(action):
    return count(AuditEntry, AuditEntry.action == action)


def texts(survey_id):
    db.session.expire_all()
    return [q.text for q in db.session.get(Survey, survey_id).questions]


def sent(survey):
    """The survey sent to one member (invite() flips it to "sent": its questions freeze)."""
    services.invite(make_member(name="Invited Ida"), survey)
    db.session.commit()
    return survey


# ---- who may do what -------------------------------------------------------------------------

def every_route(survey):
    base = f"/admin/surveys/{survey.id}"
    question = survey.questions[0]
    gets = ["/admin/surveys/", "/admin/surveys/new", base, f"{base}/preview"]
    posts = [("/admin/surveys/new", NEW_SURVEY), (base, NEW_SURVEY),
             (f"{base}/questions", {"kind": "rating", "text": "Mine?"}),
             (f"{base}/questions/{question.id}", {f"question-{question.id}-kind": "text",
                                                  f"question-{question.id}-text": "Mine?"}),
             (f"{base}/questions/{question.id}/delete", {}),
             (f"{base}/questions/{question.id}/move", {"direction": "down"}),
             (f"{base}/copy", {})]
    return gets, posts


@pytest.mark.parametrize("who", ["member", "expansion"])
def test_members_and_expansion_staff_get_403_on_every_survey_builder_route(client, who):
    survey = make_survey("Private plans", questions=[("rating", "First?"), ("text", "Second?")])
    db.session.commit()
    if who == "member":
        member = make_member(email="ann.member@example.com")
        db.session.commit()
        login(client, member.email)
        token = csrf_token(client, "/profile")
    else:
        as_role(client, "expansion")
        token = csrf_token(client, "/admin/account")
    gets, posts = every_route(survey)
    for url in gets:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Private plans" not in html(response), url
    before = count(AuditEntry, AuditEntry.action.notlike("auth.%"))
    for url, data in posts:
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    assert count(AuditEntry, AuditEntry.action.notlike("auth.%")) == before
    assert count(Survey) == 2  # this one and the default "How did we do?"
    assert texts(survey.id) == ["First?", "Second?"]
    assert 'href="/admin/surveys/"' not in html(client.get("/admin/" if who == "expansion" else "/"))


def test_service_staff_read_every_page_without_change_forms_and_get_403_on_every_change(client):
    survey = make_survey("Service read", questions=[("rating", "First?"), ("single_choice", "Which?", ["A", "B"])])
    db.session.commit()
    as_role(client, "service")
    gets, posts = every_route(survey)
    for url in gets:
        assert client.get(url).status_code == (403 if url.endswith("/new") else 200), url
    listing = html(client.get("/admin/surveys/"))
    assert "Service read" in listing and "New survey" not in listing
    page = html(client.get(f"/admin/surveys/{survey.id}"))
    assert "First?" in page and "Which?" in page
    for control in ("Move up", "Move down", ">Delete<", "Add a question", "Change the survey", 'name="title"',
                    "Change this question", "Copy to a new draft"):
        assert control not in page, control
    token = csrf_token(client, "/admin/surveys/")
    for url, data in posts:
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    assert texts(survey.id) == ["First?", "Which?"]
    assert count(AuditEntry, AuditEntry.action.like("survey.%")) == 2 + 1  # the factory's own: create, 2 adds
    assert 'href="/admin/surveys/"' in html(client.get("/admin/"))


@pytest.mark.parametrize("role", ["operations", "admin"])
def test_operations_and_the_team_lead_see_the_surveys_area_and_its_forms(client, role):
    as_role(client, role)
    assert 'href="/admin/surveys/"' in html(client.get("/admin/"))
    assert "New survey" in html(client.get("/admin/surveys/"))
    form = html(client.get("/admin/surveys/new"))
    assert re.search(r'name="expiry_days"[^>]*value="30"', form)
    assert re.search(r'name="reminder_days"[^>]*value="3"', form)
    assert re.search(r'name="trigger"[^>]*value=""', form) and "After a ticket is resolved" in form
    assert "After event attendance" in form


# ---- the survey form -----------------------------------------------------------------------

def test_operations_create_a_draft_survey_with_both_languages_and_change_it(client):
    staff = as_role(client, "operations")
    response = post_form(client, "/admin/surveys/new", {**NEW_SURVEY, "anonymous": "y", "trigger": "event_attended"})
    assert response.status_code == 303
    survey = db.session.scalar(select(Survey).where(Survey.title == "Member satisfaction 2027"))
    assert response.headers["Location"] == f"/admin/surveys/{survey.id}"
    assert (survey.status, survey.title_zh) == ("draft", "2027 會員滿意度")
    assert survey.introduction == "Two minutes.\nThank you!"
    assert (survey.points, survey.expiry_days, survey.reminder_days) == (30, 30, 3)
    assert survey.anonymous is True and survey.trigger == "event_attended" and survey.created_by_staff_id == staff.id
    assert audits("survey.create") == 1
    page = html(client.get(f"/admin/surveys/{survey.id}"))
    assert "is saved as a draft" in page and "No questions yet." in page

    changed = post_form(client, f"/admin/surveys/{survey.id}", {**NEW_SURVEY, "title": "Renamed", "points": "0",
                                                                 "trigger": "ticket_resolved"})
    assert changed.status_code == 303
    db.session.expire_all()
    survey = db.session.get(Survey, survey.id)
    assert (survey.title, survey.points, survey.anonymous, survey.trigger) == ("Renamed", 0, False, "ticket_resolved")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "survey.update"))
    assert entry.before["title"] == "Member satisfaction 2027" and entry.after["title"] == "Renamed"
    assert "expiry_days" not in entry.after


BAD_SURVEY = [
    ({"title": ""}, "Give the survey a title."),
    ({"title": "   "}, "Give the survey a title."),
    ({"points": "-1"}, "Enter a whole number from 0 to 1,000,000."),
    ({"points": "ten"}, "Not a valid integer value."),
    ({"expiry_days": "0"}, "Enter a whole number of days from 1 to 365."),
    ({"expiry_days": ""}, "Enter how many days the links work."),
    ({"reminder_days": "-2"}, "Enter a whole number of days from 0 to 365."),
    ({"reminder_days": "30"}, "The reminder must go before the links stop working."),
    ({"trigger": "whenever"}, "Not a valid choice."),
]


@pytest.mark.parametrize(("change", "message"), BAD_SURVEY)
def test_bad_survey_input_gets_the_form_back_with_a_clear_message_and_saves_nothing(client, change, message):
    as_role(client, "operations")
    before = count(Survey)
    response = post_form(client, "/admin/surveys/new", {**NEW_SURVEY, **change}, page="/admin/surveys/new")
    assert response.status_code == 422
    assert message in html(response) and "Please correct the marked fields." in html(response)
    assert count(Survey) == before and audits("survey.create") == 0

    survey = make_survey("Kept")
    db.session.commit()
    response = post_form(client, f"/admin/surveys/{survey.id}", {**NEW_SURVEY, **change})
    assert response.status_code == 422 and message in html(response)
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).title == "Kept" and audits("survey.update") == 0


def test_the_services_refuse_bad_settings_too(app):
    staff = make_staff("operations")
    fields = {"title": "T", "points": 0, "expiry_days": 30, "reminder_days": 3, "anonymous": False, "trigger": None}
    for change in ({"title": " "}, {"points": -1}, {"expiry_days": 0}, {"trigger": "sometimes"}):
        with pytest.raises(builder.BuilderError):
            builder.create_survey({**fields, **change}, staff)


# ---- questions -----------------------------------------------------------------------------

def test_adding_questions_of_every_kind_with_choices_in_both_languages(client):
    as_role(client, "operations")
    survey = make_survey("Kinds", questions=[])
    db.session.commit()
    url = f"/admin/surveys/{survey.id}/questions"
    page = f"/admin/surveys/{survey.id}"
    for kind, text in (("rating", "How satisfied?"), ("nps", "Recommend us?"), ("text", "Anything else?")):
        response = post_form(client, url, {"kind": kind, "text": text, "text_zh": "", "required": "y"}, page=page)
        assert response.status_code == 303
    response = post_form(client, url, {"kind": "multi_choice", "text": "Which events?", "text_zh": "哪些活動？",
                                       "choices": "Tea tasting | 品茶\n\n  Cooking  \nWine|", "required": ""},
                         page=page)
    question = db.session.scalar(select(Question).where(Question.text == "Which events?"))
    assert response.headers["Location"] == f"/admin/surveys/{survey.id}#question-{question.id}"
    assert [(c.label, c.label_zh, c.position) for c in question.choices] == [
        ("Tea tasting", "品茶", 1), ("Cooking", "", 2), ("Wine", "", 3)]
    assert question.required is False and question.text_zh == "哪些活動？"
    db.session.expire_all()
    saved = db.session.get(Survey, survey.id).questions
    assert [(q.kind, q.position) for q in saved] == [("rating", 1), ("nps", 2), ("text", 3), ("multi_choice", 4)]
    assert [q.choices for q in saved[:3]] == [[], [], []]
    assert audits("survey.question_add") == 4
    shown = html(client.get(page))
    assert "Rating from 1 to 10" in shown and "品茶" in shown and "Optional" in shown


BAD_QUESTIONS = [
    ({"kind": "single_choice", "choices": ""}, "Give at least two choices, one a line."),
    ({"kind": "multi_choice", "choices": "Only one\n\n"}, "Give at least two choices, one a line."),
    ({"kind": "single_choice", "choices": "A\na"}, "Each choice must be different."),
    ({"kind": "single_choice", "choices": "A\n| 乙"}, "Each choice needs its English text before the “|”."),
    ({"kind": "single_choice", "choices": "\n".join(f"C{n}" for n in range(31))}, "Give at most 30 choices."),
    ({"text": ""}, "Write the question."),
    ({"text": "x" * 501}, "Field cannot be longer than 500 characters."),
    ({"kind": "stars"}, "Not a valid choice."),
]


@pytest.mark.parametrize(("change", "message"), BAD_QUESTIONS)
def test_bad_question_input_gets_the_form_back_and_saves_nothing(client, change, message):
    as_role(client, "operations")
    survey = make_survey("Bad questions", questions=[("rating", "Kept?")])
    db.session.commit()
    data = {"kind": "rating", "text": "New?", "required": "y", **change}
    response = post_form(client, f"/admin/surveys/{survey.id}/questions", data, page=f"/admin/surveys/{survey.id}")
    assert response.status_code == 422 and message in html(response)
    assert count(Question, Question.survey_id == survey.id) == 1 and audits("survey.question_add") == 1

    question = survey.questions[0]
    prefix = f"question-{question.id}-"
    response = post_form(client, f"/admin/surveys/{survey.id}/questions/{question.id}",
                         {prefix + key: value for key, value in data.items()}, page=f"/admin/surveys/{survey.id}")
    assert response.status_code == 422 and message in html(response)
    assert "<details class=\"change-question\" open>" in html(response)
    assert texts(survey.id) == ["Kept?"] and audits("survey.question_update") == 0


def test_the_services_refuse_a_choice_question_without_two_choices(app):
    survey = make_survey("S", questions=[])
    staff = make_staff("operations")
    with pytest.raises(builder.BuilderError) as refused:
        builder.add_question(survey, "single_choice", "Which?", staff, choices=[("Only", "")])
    with app.test_request_context():
        assert str(refused.value.message) == "A choice question needs at least two choices."
    with pytest.raises(builder.BuilderError):
        builder.add_question(survey, "stars", "Which?", staff)
    assert survey.questions == []


def test_changing_a_question_replaces_its_choices_and_deleting_one_closes_up_the_rest(client):
    as_role(client, "operations")
    survey = make_survey("Change", questions=[("rating", "One?"), ("single_choice", "Two?", ["A", "B"]),
                                              ("text", "Three?")])
    db.session.commit()
    second = survey.questions[1]
    page = html(client.get(f"/admin/surveys/{survey.id}"))
    assert f'id="question-{second.id}-choices"' in page and "A\nB</textarea>" in page
    prefix = f"question-{second.id}-"
    response = post_form(client, f"/admin/surveys/{survey.id}/questions/{second.id}", {
        prefix + "kind": "multi_choice", prefix + "text": "Two, changed?", prefix + "text_zh": "二？",
        prefix + "choices": "X | 甲\nY | 乙\nZ", prefix + "required": ""}, page=f"/admin/surveys/{survey.id}")
    assert response.status_code == 303
    db.session.expire_all()
    second = db.session.get(Question, second.id)
    assert (second.kind, second.text, second.text_zh, second.required) == ("multi_choice", "Two, changed?", "二？",
                                                                          False)
    assert [(c.label, c.label_zh) for c in second.choices] == [("X", "甲"), ("Y", "乙"), ("Z", "")]
    assert count(Choice, Choice.label.in_(["A", "B"])) == 0
    assert audits("survey.question_update") == 1

    second_id = second.id
    response = post_form(client, f"/admin/surveys/{survey.id}/questions/{second_id}/delete", {},
                         page=f"/admin/surveys/{survey.id}")
    assert response.status_code == 303
    db.session.expire_all()
    remaining = db.session.get(Survey, survey.id).questions
    assert [(q.text, q.position) for q in remaining] == [("One?", 1), ("Three?", 2)]
    assert count(Choice, Choice.question_id == second_id) == 0 and audits("survey.question_delete") == 1


def test_a_question_of_another_survey_is_not_found(client):
    as_role(client, "operations")
    mine, other = make_survey("Mine"), make_survey("Other", questions=[("text", "Theirs?")])
    db.session.commit()
    theirs = other.questions[0]
    base = f"/admin/surveys/{mine.id}/questions/{theirs.id}"
    for url in (base, f"{base}/delete", f"{base}/move"):
        assert post_form(client, url, {"direction": "up"}, page="/admin/surveys/").status_code == 404, url
    assert client.get("/admin/surveys/999999").status_code == 404
    assert texts(other.id) == ["Theirs?"]


# ---- moving questions ------------------------------------------------------------------------

def test_move_question_swaps_positions_and_does_nothing_at_the_ends(app):
    staff = make_staff("operations")
    survey = make_survey("Order", questions=[("rating", "A"), ("text", "B"), ("nps", "C")])
    a, b, c = survey.questions
    assert builder.move_question(c, "up", staff) is True
    assert [q.text for q in survey.questions] == ["A", "C", "B"]
    assert builder.move_question(a, "up", staff) is False
    assert builder.move_question(b, "down", staff) is False
    assert builder.move_question(a, "down", staff) is True
    assert [(q.text, q.position) for q in survey.questions] == [("C", 1), ("A", 2), ("B", 3)]
    with pytest.raises(builder.BuilderError):
        builder.move_question(a, "sideways", staff)


def test_moving_without_javascript_posts_and_redirects_back_to_the_question(client):
    as_role(client, "operations")
    survey = make_survey("Order", questions=[("rating", "A"), ("text", "B"), ("nps", "C")])
    db.session.commit()
    a, b, c = survey.questions
    page = html(client.get(f"/admin/surveys/{survey.id}"))
    # Plain forms (no JavaScript needed), with htmx on top; the first has no "Move up", the last no "Move down".
    assert page.count(">Move up</button>") == 2 and page.count(">Move down</button>") == 2
    assert f'action="/admin/surveys/{survey.id}/questions/{a.id}/move"' in page and 'hx-target="#questions"' in page
    response = post_form(client, f"/admin/surveys/{survey.id}/questions/{c.id}/move", {"direction": "up"},
                         page=f"/admin/surveys/{survey.id}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/surveys/{survey.id}#question-{c.id}"
    assert texts(survey.id) == ["A", "C", "B"]
    assert audits("survey.question_move") == 1
    assert post_form(client, f"/admin/surveys/{survey.id}/questions/{a.id}/move", {"direction": "left"},
                     page=f"/admin/surveys/{survey.id}").status_code == 400
    assert texts(survey.id) == ["A", "C", "B"]


def test_moving_with_htmx_swaps_only_the_question_list(client):
    as_role(client, "operations")
    survey = make_survey("Order", questions=[("rating", "First"), ("text", "Second")])
    db.session.commit()
    first, second = survey.questions
    response = post_form(client, f"/admin/surveys/{survey.id}/questions/{first.id}/move", {"direction": "down"},
                         page=f"/admin/surveys/{survey.id}", headers={"HX-Request": "true"})
    body = html(response)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert "<html" not in body and body.lstrip().startswith('<div id="questions"')
    assert body.index("Second") < body.index("First") and "Add a question" not in body
    assert texts(survey.id) == ["Second", "First"]


# ---- frozen surveys and copies ---------------------------------------------------------------

def test_a_sent_survey_refuses_every_change_to_its_questions(app):
    staff = make_staff("operations")
    survey = sent(make_survey("Sent", questions=[("rating", "A"), ("single_choice", "B", ["X", "Y"])]))
    assert survey.frozen
    a, b = survey.questions
    for change in (lambda: builder.add_question(survey, "text", "New", staff),
                   lambda: builder.update_question(a, "text", "Changed", staff),
                   lambda: builder.delete_question(b, staff),
                   lambda: builder.move_question(b, "up", staff)):
        with pytest.raises(builder.SurveyFrozen) as refused:
            change()
        with app.test_request_context():
            assert "Copy it to a new draft" in str(refused.value.message)
    with pytest.raises(builder.SurveyFrozen):
        builder.update_survey(survey, {"title": "Sent", "points": 0, "expiry_days": 30, "reminder_days": 3,
                                       "anonymous": True, "trigger": None}, staff)
    db.session.expire_all()
    assert [(q.text, q.kind) for q in db.session.get(Survey, survey.id).questions] == [("A", "rating"),
                                                                                       ("B", "single_choice")]


def test_a_sent_surveys_page_shows_its_questions_read_only_and_refuses_changes_with_422(client):
    as_role(client, "operations")
    survey = sent(make_survey("Sent", questions=[("rating", "A"), ("text", "B")]))
    a, b = survey.questions
    base = f"/admin/surveys/{survey.id}"
    page = html(client.get(base))
    assert "can no longer change" in page and "Copy to a new draft" in page and "A" in page
    for control in ("Move up", "Move down", ">Delete<", "Add a question", "Change this question"):
        assert control not in page, control
    assert "Change the survey" in page  # its title, points and the like still can
    prefix = f"question-{a.id}-"
    for url, data in ((f"{base}/questions", {"kind": "text", "text": "New"}),
                      (f"{base}/questions/{a.id}", {prefix + "kind": "text", prefix + "text": "Changed"}),
                      (f"{base}/questions/{b.id}/delete", {}), (f"{base}/questions/{b.id}/move", {"direction": "up"})):
        response = post_form(client, url, data, page=base)
        assert response.status_code == 422, url
        assert "Copy it to a new draft to change them." in html(response), url
    response = post_form(client, f"{base}/questions/{b.id}/move", {"direction": "up"}, page=base,
                         headers={"HX-Request": "true"})
    assert response.status_code == 422 and "<html" not in html(response) and "Copy it to a new draft" in html(response)
    assert texts(survey.id) == ["A", "B"]
    assert count(AuditEntry, AuditEntry.action.in_(["survey.question_add", "survey.question_update",
                                                    "survey.question_delete", "survey.question_move"])) == 2


def test_copy_to_a_new_draft_copies_the_settings_questions_and_choices(client):
    staff = as_role(client, "operations")
    original = make_survey("After the gala", questions=[("rating", "How was it?"),
                                                        ("multi_choice", "Best part?", [("Food", "食物"), "Music"])],
                           points=20, anonymous=True, trigger="event_attended", title_zh="晚會之後")
    sent(original)
    response = post_form(client, f"/admin/surveys/{original.id}/copy", {}, page=f"/admin/surveys/{original.id}")
    assert response.status_code == 303
    copy = db.session.scalar(select(Survey).where(Survey.copied_from_id == original.id))
    assert response.headers["Location"] == f"/admin/surveys/{copy.id}"
    assert (copy.status, copy.title, copy.title_zh, copy.points, copy.anonymous) == ("draft", "After the gala",
                                                                                     "晚會之後", 20, True)
    assert copy.trigger is None and copy.first_sent_at is None and copy.created_by_staff_id == staff.id
    assert [(q.kind, q.text, q.position) for q in copy.questions] == [("rating", "How was it?", 1),
                                                                      ("multi_choice", "Best part?", 2)]
    copied, kept = copy.questions[1].choices, original.questions[1].choices
    assert [(c.label, c.label_zh) for c in copied] == [("Food", "食物"), ("Music", "")]
    assert {c.id for c in copied}.isdisjoint({c.id for c in kept})
    assert audits("survey.copy") == 1
    page = html(client.get(f"/admin/surveys/{copy.id}"))
    assert "new draft copied from" in page and "Move down" in page and "Copied from an earlier survey" in page
    # The copy can change; the original still cannot.
    builder.add_question(copy, "text", "Anything else?", staff)
    assert [q.text for q in original.questions] == ["How was it?", "Best part?"]


# ---- the list and the preview ------------------------------------------------------------------

def test_the_list_shows_status_sent_date_and_counts_in_a_fixed_number_of_queries(client):
    as_role(client, "operations")
    first = sent(make_survey("First sent", questions=[("rating", "A")]))
    invitation = services.invite(make_member(name="Second member"), first)
    services.submit(invitation, services.read_answers(first, MultiDict({f"q{first.questions[0].id}": "9"})))
    make_survey("Still a draft")
    db.session.commit()
    with counting_queries() as few:
        listing = html(client.get("/admin/surveys/"))
    rows = {re.sub(r"<[^>]+>", " ", row) for row in re.findall(r"<tr>(.*?)</tr>", listing, re.S)}
    first_row = next(row for row in rows if "First sent" in row)
    assert "Sent" in first_row and re.search(r"\b2\s+1\b", " ".join(first_row.split()))
    assert re.search(r"\d{4}-\d{2}-\d{2}", first_row)
    draft_row = next(row for row in rows if "Still a draft" in row)
    assert "Draft" in draft_row and "—" in draft_row
    for n in range(5):
        sent(make_survey(f"More {n}"))
    with counting_queries() as more:
        html(client.get("/admin/surveys/"))
    assert len(more) == len(few)


def test_the_preview_renders_each_question_as_a_member_answers_it(client):
    as_role(client, "service")
    survey = make_survey("Preview me", introduction="Two minutes of your time.",
                         questions=[("rating", "How satisfied?"), ("nps", "Recommend us?"),
                                    ("single_choice", "One?", ["Tea", "Coffee"]),
                                    ("multi_choice", "Several?", [("Cake", "蛋糕"), "Bread"]), ("text", "More?")])
    db.session.commit()
    rating, nps, single, multi, text = survey.questions
    page = html(client.get(f"/admin/surveys/{survey.id}/preview"))
    assert "Two minutes of your time." in page and 'class="phone-preview"' in page
    assert page.count("<fieldset") == 5 and "<legend" in page
    assert [int(v) for v in re.findall(rf'name="q{rating.id}" value="(\d+)"', page)] == list(range(1, 11))
    assert [int(v) for v in re.findall(rf'name="q{nps.id}" value="(\d+)"', page)] == list(range(0, 11))
    assert re.search(rf'type="radio" name="q{single.id}"\s+value="{single.choices[0].id}"', page)
    assert re.search(rf'type="checkbox" name="q{multi.id}"\s+value="{multi.choices[0].id}"', page)
    assert re.search(rf'<textarea name="q{text.id}"[^>]*maxlength="5000"', page)
