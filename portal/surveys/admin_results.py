"""A survey's results for staff, mounted at /admin/surveys: the numbers, a chart per question, the
free-text answers a page at a time, a tier filter, and every answer as CSV (streamed).

Operations and service read them (admin too). For an anonymous survey no page or file here names
who answered.
"""

from flask import Blueprint, abort, request
from flask_babel import gettext as _

from portal.auth import roles
from portal.auth.access import staff_required
from portal.csv_export import streamed_csv_response
from portal.extensions import db
from portal.htmx import is_partial, render_page
from portal.i18n import localized
from portal.ids import query_int
from portal.members import tiers
from portal.presentation import staff_datetime
from portal.surveys import charts, results
from portal.surveys.models import Survey

bp = Blueprint("surveys_results", __name__)



def _survey(survey_id):
    return db.session.get(Survey, survey_id) or abort(404)


def _tier(all_tiers):
    """The tier chosen by ?tier=<code>, or None for every tier (an unknown code too)."""
    code = request.args.get("tier", "")
    return next((tier for tier in all_tiers if tier.code == code), None)


@bp.get("/<int:survey_id>/results")
@staff_required(*roles.SURVEYS_READ)
def results_page(survey_id):
    """The results; `?question=<id>&after=<answer id>` pages that question's free-text answers: the
    page with the next 20 without JavaScript, only those (and the next "load more") for htmx."""
    survey = _survey(survey_id)
    all_tiers = tiers.all_tiers()
    tier = _tier(all_tiers)
    tier_id = tier.id if tier else None
    question_id, after_id = query_int("question"), query_int("after")
    after = (question_id, after_id) if question_id and after_id else None
    if after and is_partial():
        question = next((q for q in results.questions_of(survey) if q.id == question_id and q.kind == "text"), None)
        if question is None:
            abort(404)
        texts, more = results.text_pages(survey, [question], tier_id, after)[question.id]
        return render_page("surveys/_text_answers.html", survey=survey, question=question, texts=texts, more=more,
                           tier=tier, paged=True)
    found = results.survey_results(survey, tier_id, after)
    return render_page("surveys/admin_results.html", survey=survey, results=found, tiers=all_tiers, tier=tier,
                       after=after, target=results.TARGET, charts=charts.question_charts, percentage=charts.percentage)


@bp.get("/<int:survey_id>/results.csv")
@staff_required(*roles.SURVEYS_READ)
def export(survey_id):
    """Every response as one CSV row, written while it is sent: response id, submitted at (programme
    time), tier, language, the member number (never for an anonymous survey), one column per question."""
    survey = _survey(survey_id)
    questions = results.questions_of(survey)
    tier_names = {tier.id: localized(tier, "name") for tier in tiers.all_tiers()}
    choices = {choice.id: localized(choice, "label") for question in questions for choice in question.choices}

    def cell(value):
        return "; ".join(choices[choice] for choice in value) if isinstance(value, list) else value

    def rows():
        header = [_("Response"), _("Submitted at"), _("Tier"), _("Language")]
        if not survey.anonymous:
            header.append(_("Member number"))
        yield header + [f"{n}. {localized(question, 'text')}" for n, question in enumerate(questions, start=1)]
        for response in results.responses(survey):
            line = [response.id, staff_datetime(response.submitted_at), tier_names.get(response.tier_id, ""),
                    response.language]
            if not survey.anonymous:
                line.append(response.member.number)
            yield line + [cell(response.answers.get(question.id)) for question in questions]

    return streamed_csv_response(rows(), f"survey-{survey.id}-answers.csv")
