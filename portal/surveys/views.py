"""Survey pages for members: the link from the invitation email (/s/<token>, no login: the signed
token is the key) and "Surveys", the logged-in member's open ones. Staff pages are in admin*.py."""

from flask import Blueprint, abort, redirect, request, session, url_for
from flask_babel import force_locale
from flask_login import current_user

from portal.auth.access import member_required
from portal.extensions import csrf, db
from portal.htmx import render_page
from portal.i18n import current_language
from portal.security import from_this_site
from portal.sqlite import writes
from portal.surveys import services
from portal.surveys.models import MAX_TEXT_ANSWER

bp = Blueprint("surveys", __name__)

LONG_SURVEY = 4  # from this many questions, a progress bar follows the answers


@bp.app_context_processor
def survey_limits():
    """For templates/surveys/_question.html, wherever it is included (the answer page, the preview)."""
    return {"max_text_answer": MAX_TEXT_ANSWER}


@bp.after_request
def private_link(response):
    """The link's token is in the address: never send it on (Referer), never keep the page (cache)."""
    if request.endpoint == "surveys.answer":
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


def _invalid():
    """The one page for a link that is expired, tampered with or unknown (in the visitor's language)."""
    return render_page("surveys/invalid.html", status=404)


def _language(invitation):
    """The member's language, unless the visitor chose one with the switcher."""
    if session.get("lang_chosen"):
        return current_language()
    return invitation.member.language or "en"


@bp.route("/s/<token>", methods=["GET", "POST"])
@writes
@csrf.exempt  # open for hours, with no session: the signed, single-use token protects the form
def answer(token):
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return _invalid()
    with force_locale(_language(invitation)):
        if request.method == "POST":
            return _submit(invitation, token)
        return _show(invitation, token)


def _show(invitation, token):
    state = services.link_state(invitation)
    if state == "expired":
        return _invalid()
    if state == "answered":
        return render_page("surveys/answered.html", invitation=invitation, survey=invitation.survey,
                           thanks=request.args.get("thanks") == "1")
    if invitation.opened_at is None:  # the first visit only: later ones write nothing
        services.mark_opened(invitation)
        db.session.commit()
    return _form(invitation, token)


def _form(invitation, token, values=None, errors=None, status=200):
    survey = invitation.survey
    questions = services.load_questions(survey)
    values = values or {}
    return render_page("surveys/answer.html", status=status, invitation=invitation, survey=survey, token=token,
                       questions=questions, values=values, errors=errors or {},
                       show_progress=len(questions) >= LONG_SURVEY,
                       answered=sum(1 for question in questions if values.get(question.id)))


def _submit(invitation, token):
    if not from_this_site():
        abort(403)
    state = services.link_state(invitation)
    if state == "expired":
        return _invalid()
    if state == "answered":
        return _already_answered(invitation)
    services.load_questions(invitation.survey)
    answers = services.read_answers(invitation.survey, request.form)
    if answers.errors:
        values = {question.id: [value for value in request.form.getlist(f"q{question.id}") if value.strip()]
                  for question in invitation.survey.questions}
        return _form(invitation, token, values, answers.errors, status=422)
    try:
        services.submit(invitation, answers, language=current_language())
    except services.AlreadyAnswered:  # sent a moment ago from another tab
        db.session.rollback()
        return _already_answered(invitation)
    db.session.commit()
    return redirect(url_for("surveys.answer", token=token, thanks=1), 303)


def _already_answered(invitation):
    db.session.refresh(invitation)
    return render_page("surveys/answered.html", status=409, invitation=invitation, survey=invitation.survey,
                       thanks=False)


@bp.get("/surveys")
@member_required
def mine():
    """The surveys the member is asked to answer and still can."""
    invitations = services.open_invitations(current_user._get_current_object())
    links = {invitation.id: url_for("surveys.answer", token=services.invitation_token(invitation))
             for invitation in invitations}
    return render_page("surveys/mine.html", invitations=invitations, links=links)
