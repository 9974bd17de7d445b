"""Survey results: who was asked and who answered, and per question what they answered — the
distribution, the average, the satisfaction % against the programme's 90% target, the NPS — and
the free-text answers a page at a time; the answers as CSV rows, one per response.

The database counts: a fixed number of grouped queries (by question and number, by question and
choice) whatever the number of questions or answers. An optional tier narrows everything to the
responses given in that tier (Response.tier_id, kept at answering time); an invitation not answered
counts in the member's tier of now.

For an anonymous survey nothing here names who answered.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby

from sqlalchemy import case, func, select
from sqlalchemy.orm import load_only

from portal.extensions import db
from portal.members.models import Member
from portal.surveys import services
from portal.surveys.models import Answer, Invitation, Question, Response

TEXT_PAGE = 20  # free-text answers shown at a time, newest first
SATISFIED_FROM = 8  # a rating of 8 or more (of 10) is a satisfied answer
TARGET = 90  # the programme's target: 90% of rating answers satisfied
PROMOTERS_FROM, DETRACTORS_UP_TO = 9, 6  # NPS: 9–10 promote, 0–6 detract, 7–8 are passive
CSV_CHUNK = 500  # rows fetched at a time for the CSV export
TENTH = Decimal("0.1")


def percent(part, whole):
    """`part` of `whole` in per cent with one decimal (87.5), or None when `whole` is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass
class Bar:
    """One bar of a distribution: a number of the scale or a choice, how many gave it, and their share
    (of the answers to the question; for multiple choice, of those who answered the question)."""

    count: int
    share: Decimal | None
    number: int | None = None
    choice: object = None  # a Choice


@dataclass
class TextAnswer:
    id: int
    text: str
    submitted_at: object
    member: Member | None = None  # never for an anonymous survey


@dataclass
class QuestionResult:
    """What one question's answers add up to; the fields that do not apply to its kind stay empty."""

    question: Question
    answered: int = 0  # responses that answered it
    bars: list = field(default_factory=list)
    average: Decimal | None = None
    satisfied: int = 0
    satisfaction: Decimal | None = None
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    nps: Decimal | None = None
    texts: list = field(default_factory=list)
    more_texts: bool = False

    @property
    def target_met(self):
        """Whether the satisfaction reaches the target (None without rating answers)."""
        return None if not self.answered else self.satisfied * 100 >= TARGET * self.answered


@dataclass
class Results:
    invited: int
    opened: int
    answered: int
    questions: list
    satisfied: int = 0
    rated: int = 0  # rating answers, every rating question together

    @property
    def response_rate(self):
        return percent(self.answered, self.invited)

    @property
    def satisfaction(self):
        """The share of rating answers of 8 or more, every rating question together."""
        return percent(self.satisfied, self.rated)

    @property
    def target_met(self):
        return None if not self.rated else self.satisfied * 100 >= TARGET * self.rated


def questions_of(survey):
    """The survey's questions in order, with their choices (two queries): as the link's page loads them."""
    return services.load_questions(survey)


def _answers(questions, tier_id, *columns, responses=False):
    """A query of `columns` over the answers to `questions` (in responses given in `tier_id`, if
    given). Answers are found by their questions (ix_survey_answers_question_response, 0015), not
    through the survey's responses: a survey's few thousand answers among millions, read from the
    index alone. `responses`: `columns` name the responses' too."""
    query = select(*columns).select_from(Answer).where(Answer.question_id.in_([q.id for q in questions]))
    if tier_id is None and not responses:
        return query
    query = query.join(Response, Response.id == Answer.response_id)
    return query.where(Response.tier_id == tier_id) if tier_id is not None else query


def funnel(survey, tier_id=None):
    """(invited, opened, answered): an answered invitation counts as opened."""
    answered = Response.id.is_not(None)
    query = (select(func.count(Invitation.id),
                    func.count(case((Invitation.opened_at.is_not(None) | answered, 1))),
                    func.count(Response.id))
             # A response's survey is its invitation's: saying so lets the join read the survey's
             # responses by their index rather than every response of every survey.
             .select_from(Invitation).outerjoin(Response, (Response.invitation_id == Invitation.id)
                                                & (Response.survey_id == survey.id))
             .where(Invitation.survey_id == survey.id))
    if tier_id is not None:
        query = query.join(Member, Member.id == Invitation.member_id).where(
            func.coalesce(Response.tier_id, Member.tier_id) == tier_id)
    return tuple(db.session.execute(query).one())


def survey_results(survey, tier_id=None, after=None):
    """Everything the results page shows; `after` (question id, answer id) starts that question's
    free-text answers after that answer (the "load more" link without JavaScript)."""
    questions = questions_of(survey)
    invited, opened, answered = funnel(survey, tier_id)
    results = Results(invited, opened, answered, [QuestionResult(q) for q in questions])
    by_id = {r.question.id: r for r in results.questions}

    for question_id, count in db.session.execute(
            _answers(questions, tier_id, Answer.question_id, func.count(func.distinct(Answer.response_id)))
            .group_by(Answer.question_id)):
        if question_id in by_id:
            by_id[question_id].answered = count
    numbers, choices = {}, {}
    for question_id, number, count in db.session.execute(
            _answers(questions, tier_id, Answer.question_id, Answer.number, func.count())
            .where(Answer.number.is_not(None)).group_by(Answer.question_id, Answer.number)):
        numbers.setdefault(question_id, {})[number] = count
    for question_id, choice_id, count in db.session.execute(
            _answers(questions, tier_id, Answer.question_id, Answer.choice_id, func.count())
            .where(Answer.choice_id.is_not(None)).group_by(Answer.question_id, Answer.choice_id)):
        choices.setdefault(question_id, {})[choice_id] = count

    for result in results.questions:
        question = result.question
        if question.scale is not None:
            _numbers(result, numbers.get(question.id, {}))
            if question.kind == "rating":
                results.satisfied += result.satisfied
                results.rated += result.answered
        elif question.kind in ("single_choice", "multi_choice"):
            counted = choices.get(question.id, {})
            result.bars = [Bar(counted.get(choice.id, 0), percent(counted.get(choice.id, 0), result.answered),
                               choice=choice) for choice in question.choices]
    texts = [q for q in questions if q.kind == "text"]
    if texts:
        pages = text_pages(survey, texts, tier_id, after)
        for question in texts:
            by_id[question.id].texts, by_id[question.id].more_texts = pages[question.id]
    return results


def _numbers(result, counted):
    """Fill a rating or NPS question's distribution, average, satisfaction or NPS from {number: count}."""
    total = sum(counted.values())
    result.answered = total  # one number per response
    result.bars = [Bar(counted.get(n, 0), percent(counted.get(n, 0), total), number=n) for n in result.question.scale]
    if not total:
        return
    result.average = (Decimal(sum(n * c for n, c in counted.items())) / total).quantize(TENTH, ROUND_HALF_UP)
    if result.question.kind == "rating":
        result.satisfied = sum(c for n, c in counted.items() if n >= SATISFIED_FROM)
        result.satisfaction = percent(result.satisfied, total)
    else:
        result.promoters = sum(c for n, c in counted.items() if n >= PROMOTERS_FROM)
        result.detractors = sum(c for n, c in counted.items() if n <= DETRACTORS_UP_TO)
        result.passives = total - result.promoters - result.detractors
        result.nps = percent(result.promoters - result.detractors, total)


def text_pages(survey, questions, tier_id=None, after=None):
    """{question id: (a page of its free-text answers, newest first; more?)} for the text `questions`
    — one query for them all (a window numbers each question's answers), one for the members named.
    `after` (question id, answer id) starts that question's page after that answer."""
    newest = (Response.submitted_at.desc(), Answer.id.desc())
    ranked = _answers(questions, tier_id, Answer.id, Answer.question_id, Answer.text, Response.submitted_at,
                      Response.invitation_id,
                      func.row_number().over(partition_by=Answer.question_id, order_by=newest).label("rank"),
                      responses=True)
    ranked = ranked.where(Answer.text.is_not(None))
    if after:
        question_id, answer_id = after
        then = (select(Response.submitted_at).join(Answer, Answer.response_id == Response.id)
                .where(Answer.id == answer_id, Answer.question_id == question_id).scalar_subquery())
        ranked = ranked.where((Answer.question_id != question_id) | (Response.submitted_at < then)
                              | ((Response.submitted_at == then) & (Answer.id < answer_id)))
    ranked = ranked.subquery()
    rows = db.session.execute(select(ranked).where(ranked.c.rank <= TEXT_PAGE + 1)
                              .order_by(ranked.c.question_id, ranked.c.rank)).all()
    members = {}
    if not survey.anonymous and rows:
        members = dict(db.session.execute(
            select(Invitation.id, Member).join(Member, Member.id == Invitation.member_id)
            .where(Invitation.id.in_({row.invitation_id for row in rows}))).all())
    pages = {question.id: ([], False) for question in questions}
    for question_id, group in groupby(rows, key=lambda row: row.question_id):
        group = list(group)
        pages[question_id] = ([TextAnswer(row.id, row.text, row.submitted_at, members.get(row.invitation_id))
                               for row in group[:TEXT_PAGE]], len(group) > TEXT_PAGE)
    return pages


@dataclass
class ResponseRow:
    """One response for the CSV export: `answers` {question id: a number, a text or [choice ids]};
    `member` is None for an anonymous survey."""

    id: int
    submitted_at: object
    tier_id: int | None
    language: str
    member: Member | None
    answers: dict


def responses(survey):
    """Every response to the survey with its answers, oldest first, fetched CSV_CHUNK rows at a time
    (a generator: the export writes each while the next are fetched)."""
    query = (select(Response.id, Response.submitted_at, Response.tier_id, Response.language, Answer.question_id,
                    Answer.number, Answer.choice_id, Answer.text)
             .select_from(Response).outerjoin(Answer, Answer.response_id == Response.id)
             .where(Response.survey_id == survey.id).order_by(Response.id, Answer.id))
    if not survey.anonymous:
        query = (query.add_columns(Member).join(Invitation, Invitation.id == Response.invitation_id)
                 .join(Member, Member.id == Invitation.member_id).options(load_only(Member.id)))
    rows = db.session.execute(query.execution_options(yield_per=CSV_CHUNK))
    for response_id, group in groupby(rows, key=lambda row: row.id):
        group = list(group)
        answers = {}
        for row in group:
            if row.choice_id is not None:
                answers.setdefault(row.question_id, []).append(row.choice_id)
            elif row.question_id is not None:
                answers[row.question_id] = row.number if row.number is not None else row.text
        first = group[0]
        yield ResponseRow(response_id, first.submitted_at, first.tier_id, first.language,
                          None if survey.anonymous else first.Member, answers)
