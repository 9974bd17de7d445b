from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.surveys import services
from portal.surveys.models import Choice, Question, Survey
from tests.factories import make_member


def test_smoke(app):
    survey = Survey(title="Satisfaction", points=30)
    survey.questions = [Question(kind="rating", text="How satisfied?", position=1),
                        Question(kind="multi_choice", text="Which?", position=2, required=False,
                                 choices=[Choice(label="A", position=1), Choice(label="B", position=2)]),
                        Question(kind="text", text="Tell us", position=3, required=False)]
    db.session.add(survey)
    db.session.flush()
    member = make_member()
    invitation = services.invite(member, survey)
    assert services.invite(member, survey).id == invitation.id
    token = services.invitation_token(invitation)
    assert services.invitation_for_token(token).id == invitation.id
    assert services.invitation_for_token(token + "x") is None
    q1, q2, q3 = survey.questions
    bad = services.read_answers(survey, MultiDict({f"q{q1.id}": "11"}))
    assert list(bad.errors) == [q1.id]
    good = services.read_answers(survey, MultiDict([(f"q{q1.id}", "9"), (f"q{q2.id}", str(q2.choices[1].id)),
                                                    (f"q{q2.id}", str(q2.choices[0].id)), (f"q{q3.id}", "Great")]))
    assert not good.errors
    response = services.submit(invitation, good)
    assert len(response.answers) == 4 and member.points_balance == 30
    assert services.link_state(invitation) == "answered"
