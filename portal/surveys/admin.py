"""The survey builder for staff, mounted at /admin/surveys: the surveys, a survey's settings, its
questions (add, change, delete, move up and down), a phone-sized preview, and copying a sent survey
to a new draft. Sending is in admin_send.py, the results in admin_results.py.

Operations (and admin) change; service reads every page without its forms.
"""

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth import roles
from portal.auth.access import staff_required
from portal.extensions import db
from portal.htmx import is_partial, render_page
from portal.surveys import builder
from portal.surveys.admin_forms import QUESTION_KIND_NAMES, TRIGGER_NAMES, MoveQuestionForm, QuestionForm, SurveyForm
from portal.surveys.models import Question, Survey

bp = Blueprint("surveys_admin", __name__)


def may_change():
    return current_user.has_role(*roles.SURVEYS_WRITE)


def _survey(survey_id):
    return db.session.get(Survey, survey_id) or abort(404)


def _question(survey, question_id):
    question = db.session.get(Question, question_id)
    if question is None or question.survey_id != survey.id:
        abort(404)
    return question


def _edit_prefix(question):
    return f"question-{question.id}-"


def _links(survey):
    return {"send": url_for("surveys_send.send_page", survey_id=survey.id),
            "results": url_for("surveys_results.results_page", survey_id=survey.id)}


# ---- the surveys ------------------------------------------------------------------------------

@bp.get("/")
@staff_required(*roles.SURVEYS_READ)
def index():
    surveys = builder.all_surveys()
    return render_page("surveys/admin_list.html", surveys=surveys, counts=builder.counts_for(surveys),
                       may_change=may_change(), trigger_names=TRIGGER_NAMES)


@bp.get("/new")
@staff_required(*roles.SURVEYS_WRITE)
def new():
    return render_page("surveys/admin_new.html", form=SurveyForm())


@bp.post("/new")
@staff_required(*roles.SURVEYS_WRITE)
def create():
    form = SurveyForm()
    if not form.validate():
        return render_page("surveys/admin_new.html", form=form, status=422)
    survey = builder.create_survey(form.fields(), current_user)
    db.session.commit()
    flash(_("The survey “%(title)s” is saved as a draft. Add its questions.", title=survey.title), "success")
    return redirect(url_for("surveys_admin.edit", survey_id=survey.id), 303)


# ---- one survey ---------------------------------------------------------------------------------

def _question_forms(survey, posted=None):
    """An edit form for each question (the one posted, with its errors, when given)."""
    forms = {}
    for question in survey.questions:
        if posted is not None and posted.question_id == question.id:
            forms[question.id] = posted
        else:
            forms[question.id] = QuestionForm(formdata=None, obj=question,
                                              prefix=_edit_prefix(question)).fill_from(question)
    return forms


def _survey_page(survey, form=None, new_question=None, edited=None, problem=None, status=200, block=None):
    writer = may_change()
    editable = writer and not survey.frozen
    if writer and form is None:
        form = SurveyForm(formdata=None, obj=survey)
        form.trigger.data = survey.trigger or ""
    return render_page(
        "surveys/admin_survey.html", block=block, status=status, survey=survey,
        counts=builder.counts_for([survey])[survey.id], may_change=writer, editable=editable, form=form,
        new_question=new_question or (QuestionForm(formdata=None) if editable else None),
        question_forms=_question_forms(survey, edited) if editable else {},
        kind_names=QUESTION_KIND_NAMES, trigger_names=TRIGGER_NAMES, links=_links(survey), problem=problem,
    )


def _refused(survey_id, error, block=None):
    """A change the survey's state does not allow: the page again (or its questions), with why, and 422."""
    db.session.rollback()
    survey = _survey(survey_id)
    if is_partial() and block:
        return _survey_page(survey, problem=error.message, status=422, block=block)
    flash(str(error.message), "error")
    return _survey_page(survey, status=422)


@bp.get("/<int:survey_id>")
@staff_required(*roles.SURVEYS_READ)
def edit(survey_id):
    return _survey_page(_survey(survey_id))


@bp.post("/<int:survey_id>")
@staff_required(*roles.SURVEYS_WRITE)
def update(survey_id):
    survey = _survey(survey_id)
    form = SurveyForm()
    if not form.validate():
        return _survey_page(survey, form=form, status=422)
    try:
        builder.update_survey(survey, form.fields(), current_user)
    except builder.BuilderError as error:
        return _refused(survey_id, error)
    db.session.commit()
    flash(_("The survey “%(title)s” is saved.", title=survey.title), "success")
    return redirect(url_for("surveys_admin.edit", survey_id=survey.id), 303)


@bp.post("/<int:survey_id>/copy")
@staff_required(*roles.SURVEYS_WRITE)
def copy(survey_id):
    survey = _survey(survey_id)
    draft = builder.copy_to_draft(survey, current_user)
    db.session.commit()
    flash(_("This is a new draft copied from “%(title)s”: change its questions, then send it.",
            title=survey.title), "success")
    return redirect(url_for("surveys_admin.edit", survey_id=draft.id), 303)


@bp.get("/<int:survey_id>/preview")
@staff_required(*roles.SURVEYS_READ)
def preview(survey_id):
    return render_page("surveys/admin_preview.html", survey=_survey(survey_id))


# ---- questions ----------------------------------------------------------------------------------

def _to_questions(survey, anchor="questions"):
    return redirect(url_for("surveys_admin.edit", survey_id=survey.id, _anchor=anchor), 303)


@bp.post("/<int:survey_id>/questions")
@staff_required(*roles.SURVEYS_WRITE)
def add_question(survey_id):
    survey = _survey(survey_id)
    if survey.frozen:
        return _refused(survey_id, builder.SurveyFrozen())
    form = QuestionForm()
    if not form.validate():
        return _survey_page(survey, new_question=form, status=422)
    try:
        question = builder.add_question(survey, staff=current_user, **form.values())
    except builder.BuilderError as error:
        return _refused(survey_id, error)
    db.session.commit()
    flash(_("The question is added."), "success")
    return _to_questions(survey, f"question-{question.id}")


@bp.post("/<int:survey_id>/questions/<int:question_id>")
@staff_required(*roles.SURVEYS_WRITE)
def update_question(survey_id, question_id):
    survey = _survey(survey_id)
    question = _question(survey, question_id)
    if survey.frozen:
        return _refused(survey_id, builder.SurveyFrozen())
    form = QuestionForm(prefix=_edit_prefix(question))
    form.question_id = question.id
    if not form.validate():
        return _survey_page(survey, edited=form, status=422)
    try:
        builder.update_question(question, staff=current_user, **form.values())
    except builder.BuilderError as error:
        return _refused(survey_id, error)
    db.session.commit()
    flash(_("The question is saved."), "success")
    return _to_questions(survey, f"question-{question.id}")


@bp.post("/<int:survey_id>/questions/<int:question_id>/delete")
@staff_required(*roles.SURVEYS_WRITE)
def delete_question(survey_id, question_id):
    survey = _survey(survey_id)
    question = _question(survey, question_id)
    try:
        builder.delete_question(question, current_user)
    except builder.BuilderError as error:
        return _refused(survey_id, error)
    db.session.commit()
    flash(_("The question is deleted."), "success")
    return _to_questions(survey)


@bp.post("/<int:survey_id>/questions/<int:question_id>/move")
@staff_required(*roles.SURVEYS_WRITE)
def move_question(survey_id, question_id):
    """Move a question up or down: the questions alone for htmx, else back to the page."""
    survey = _survey(survey_id)
    question = _question(survey, question_id)
    form = MoveQuestionForm()
    if not form.validate():
        abort(400)
    try:
        builder.move_question(question, form.direction.data, current_user)
    except builder.BuilderError as error:
        return _refused(survey_id, error, block="questions")
    db.session.commit()
    if is_partial():
        return _survey_page(_survey(survey_id), block="questions")
    return _to_questions(survey, f"question-{question.id}")
