"""Every form speaks the reader's language: in zh-Hant, WTForms' own messages come out in
Traditional Chinese (not its Simplified `zh` catalogue), and the zh-Hant catalogue uses full-width
punctuation beside Chinese text and the members' words."""

import importlib
import pkgutil
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.pofile import read_po
from flask import g
from flask_wtf import FlaskForm

import portal
from portal import create_app
from portal.forms import PortalForm
from portal.members import ledger
from tests.factories import make_member, make_reward
from tests.helpers import login, post_form, test_settings

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "portal/translations/zh_Hant/LC_MESSAGES/messages.po"

# Common characters that exist only in Simplified Chinese (their Traditional forms in brackets):
# 该(該) 请(請) 输(輸) 确(確) 须(須) 个(個) 为(為) 这(這) 无(無) 电(電) 邮(郵) 码(碼) 长(長) 数(數)
# 时(時) 间(間) 选(選) 择(擇) 项(項) 许(許) 验(驗) 证(證) 错(錯) 误(誤) 与(與) 们(們) 对(對)
# 应(應) 号(號) 过(過) 还(還) 经(經) 页(頁) 员(員) 积(積) 兑(兌) 换(換) 级(級) 会(會) 务(務)
# 录(錄) 单(單) 订(訂) 购(購) 额(額) 网(網) 账(賬) 户(戶) 设(設) 实(實) 发(發) 开(開) 关(關)
# 读(讀) 传(傳) 内(內) 将(將) 规(規). Not 效: 無效 is Traditional too.
SIMPLIFIED_ONLY = set(
    "该请输确须个为这无电邮码长数时间选择项许验证错误与们对应号过还经页员积兑换级会务录单订购额网账户设实发开关读传内将规"
)
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
ENGLISH_WORDS = re.compile(r"[A-Za-z]{2,}(?:,? [A-Za-z]{2,}){2,}")  # three English words in a row
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sd]|\{\w*\}")
HALF_WIDTH = re.compile(r"[(),:;?!]")


def form_classes():
    """Every FlaskForm subclass defined in the portal package, found by importing all its modules."""
    for module in pkgutil.walk_packages(portal.__path__, "portal."):
        importlib.import_module(module.name)
    found, todo = set(), [FlaskForm]
    while todo:
        for cls in todo.pop().__subclasses__():
            todo.append(cls)
            if cls.__module__.startswith("portal.") and cls is not PortalForm:
                found.add(cls)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


FORMS = form_classes()

TIERS = [SimpleNamespace(id=n, code=code, name=code.title(), name_zh=zh) for n, (code, zh) in enumerate(
    [("regular", "一般會員"), ("silver", "銀卡會員"), ("gold", "金卡會員")], start=1)]
MEMBER = SimpleNamespace(points_balance=100, tier=TIERS[0])

# How to build the forms whose constructor or choices need something; every other form is built
# with no arguments. A new form that needs arguments fails below until it is added here.
BUILD = {
    "AdjustPointsForm": lambda cls: cls(member=MEMBER),
    "ChangeTierForm": lambda cls: cls(member=MEMBER, tiers=TIERS),
    "RewardForm": lambda cls: cls().setup(TIERS, "Everyone"),
    "NewRewardForm": lambda cls: cls().setup(TIERS, "Everyone"),
    "EditRewardForm": lambda cls: cls().setup(TIERS, "Everyone"),
    "EventForm": lambda cls: cls().setup(TIERS, "Every tier"),
    "NewEventForm": lambda cls: cls().setup(TIERS, "Every tier"),
    "EditEventForm": lambda cls: cls().setup(TIERS, "Every tier"),
    "MemberSearchForm": lambda cls: cls().setup(TIERS),
    "AuditFilterForm": lambda cls: cls().setup(["member.points_adjusted"], {}),
}

# Each form is posted empty, with nonsense in every field, and with a negative number in every
# field: between them they set off the required, length, email, number, choice and date checks.
SUBMISSIONS = {
    "empty": lambda name: "",
    "nonsense": lambda name: "x" * 600,
    "negative": lambda name: "-5",
}


@pytest.fixture(scope="module")
def form_app(tmp_path_factory):
    """An app with no context pushed: each request below gets its own `g`, where Flask-Babel keeps
    the request's language."""
    path = tmp_path_factory.mktemp("forms")
    return create_app(test_settings(f"sqlite:///{path / 'unused.db'}", path))


def build(cls):
    form = BUILD.get(cls.__name__, lambda cls: cls())(cls)
    if hasattr(form, "setup_choices"):
        form.setup_choices()
    return form


def messages_of(errors):
    """The error texts in a WTForms `errors` value (dicts for form fields, lists, strings)."""
    if isinstance(errors, dict):
        for value in errors.values():
            yield from messages_of(value)
    elif isinstance(errors, (list, tuple)):
        for value in errors:
            yield from messages_of(value)
    else:
        yield str(errors)


def errors_in(app, cls, submission, language_header):
    """Post `submission` to a form of `cls` as a browser that asks for `language_header` would."""
    names = [field.name for field in build_unbound(app, cls)]
    data = {name: SUBMISSIONS[submission](name) for name in names if name != "csrf_token"}
    with app.test_request_context("/", method="POST", data=data, headers={"Accept-Language": language_header}):
        g.csrf_valid = True  # as CSRFProtect leaves it after checking the token of a real request
        form = build(cls)
        form.validate()
        return list(messages_of(form.errors))


def build_unbound(app, cls):
    with app.test_request_context("/"):
        return list(build(cls))


def not_traditional_chinese(message):
    """Why `message` is not Traditional Chinese, or None."""
    simplified = sorted(set(message) & SIMPLIFIED_ONLY)
    if simplified:
        return f"Simplified characters {''.join(simplified)}"
    text = PLACEHOLDER.sub("", message)
    if not CJK.search(text) and re.search(r"[A-Za-z]{2,}", text):
        return "English"
    if ENGLISH_WORDS.search(text):
        return "English words"
    return None


def test_the_portal_has_forms_to_check():
    names = {cls.__name__ for cls in FORMS}
    assert {"SignupForm", "LoginForm", "ProfileForm", "RewardForm", "AdjustPointsForm"} <= names
    assert set(BUILD) <= names, "BUILD names a form that no longer exists"


@pytest.mark.parametrize("cls", FORMS, ids=lambda cls: cls.__name__)
def test_every_form_is_a_portal_form(cls):
    """PortalForm chooses WTForms' Traditional Chinese catalogue; a plain FlaskForm would not."""
    assert issubclass(cls, PortalForm), f"{cls.__module__}.{cls.__name__} must inherit from portal.forms.PortalForm"


@pytest.mark.parametrize("cls", FORMS, ids=lambda cls: cls.__name__)
def test_every_forms_errors_are_in_traditional_chinese(form_app, cls):
    found = []
    for submission in SUBMISSIONS:
        for message in errors_in(form_app, cls, submission, "zh-TW,zh;q=0.9"):
            problem = not_traditional_chinese(message)
            found.append(message)
            assert problem is None, f"{cls.__name__} posted {submission}: {problem} in {message!r}"
    if any(field.flags.required for field in build_unbound(form_app, cls)):
        assert found, f"{cls.__name__} has required fields but gave no error to check"


def test_wtforms_own_messages_are_traditional_and_english_stays_english(form_app):
    from portal.members.forms import SignupForm

    chinese = errors_in(form_app, SignupForm, "empty", "zh-TW")
    assert "此欄位是必需的。" in chinese  # WTForms' zh_TW catalogue; its zh one says 该字段是必填字段。
    chinese = errors_in(form_app, SignupForm, "nonsense", "zh-HK")
    assert "無效的電子郵件地址。" in chinese
    english = errors_in(form_app, SignupForm, "empty", "en-GB")
    assert "This field is required." in english


def test_the_error_summary_is_translated(client):
    response = post_form(client, "/signup", {}, headers={"Accept-Language": "zh-TW"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'lang="zh-Hant"' in html
    assert "Please correct the marked fields." not in html and "請修正標示的欄位。" in html
    assert "此欄位是必需的。" in html


# ---- the zh-Hant catalogue -------------------------------------------------------------------

def chinese_messages():
    with CATALOGUE.open("rb") as f:
        catalogue = read_po(f)
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for string in strings:
            if string:
                yield ids[0], string


def half_width_punctuation(text):
    """The half-width ( ) : , ; ? ! in a Chinese text: every bracket, and the rest unless they sit
    between two ASCII letters or digits (10,000 and 15:30 stay as they are)."""
    text = PLACEHOLDER.sub("\x00", text)
    if not CJK.search(text):
        return []
    found = []
    for match in HALF_WIDTH.finditer(text):
        mark, i = match.group(), match.start()
        before, after = text[i - 1:i], text[i + 1:i + 2]
        between_ascii = before.isascii() and before.isalnum() and after.isascii() and after.isalnum()
        if mark in "()" or not between_ascii:
            found.append(text[max(0, i - 6):i + 7].replace("\x00", "…"))
    return found


def test_half_width_punctuation_is_found():
    assert half_width_punctuation("電話(選填)") == ["電話(選填)", "電話(選填)"]
    assert half_width_punctuation("請輸入,例如 500。")
    assert half_width_punctuation("%(name)s,您好")
    assert half_width_punctuation("例如 10,000 點,時間 15:30") == [",000 點,時間 15:"]
    assert not half_width_punctuation("電話（選填）：10,000 點，15:30")
    assert not half_width_punctuation("Phone (optional): yes")


def test_chinese_text_uses_full_width_punctuation():
    bad = [f"{msgid!r}: {' | '.join(found)}" for msgid, string in chinese_messages()
           if (found := half_width_punctuation(string))]
    assert not bad, "half-width punctuation beside Chinese text (use （）：，；？！):\n" + "\n".join(bad)


def test_the_catalogue_has_no_simplified_characters():
    bad = [f"{msgid!r}: {string}" for msgid, string in chinese_messages() if set(string) & SIMPLIFIED_ONLY]
    assert not bad, "Simplified characters in the zh-Hant catalogue:\n" + "\n".join(bad)


def test_members_read_customer_service_records_not_work_orders():
    """工單 is staff jargon; members call their tickets 客服紀錄. No member-facing text says 工單
    (staff-only strings may: list them here when they come)."""
    staff_only = {
        "After a ticket is resolved",  # the survey builder's automatic sending
        "Ticket status changed", "Ticket assigned",  # the audit log
        # the breach email to staff (templates/mail/ticket_breached.*)
        'Ticket %(number)s ("%(ticket_subject)s") was due its first reply by %(date)s and has none yet.',
        'Ticket %(number)s ("%(ticket_subject)s") was due to be resolved by %(date)s.',
        "Breached: no first reply on %(number)s", "Breached: %(number)s is not resolved in time",
        "Breached: no first reply on %(number)s, and it is not resolved in time",
        # the staff's ticket pages (portal/tickets/admin.py, templates/tickets/admin/)
        'Tickets', 'Tickets: the queue of feedback, complaints and consultations, replies and their clocks',
        ('This ticket changed while you were writing. Read the new messages below; your text is kept. '
         'Send it again if it still fits.'),
        'A ticket that is “%(now)s” cannot move to “%(to)s”.',
        'This ticket changed since you opened it. Check it, then change the status again.',
        'The ticket is now “%(status)s”.', 'The ticket is assigned to nobody.', 'The ticket is assigned to you.',
        'The ticket is assigned to %(name)s.', 'Ticket version',
        'Counts are of open tickets. “Due within %(hours)s h”: the running clock passes in the next %(hours)s hours.',
        'No tickets match these filters.', 'Assign the ticket', 'This ticket changed while you were writing',
        'This ticket is closed: nothing more can be added.', 'Recent tickets', 'this ticket',
        "The latest %(count)s tickets.", "No tickets yet.",  # the staff member page's part
    }
    bad = [f"{msgid!r}: {string}" for msgid, string in chinese_messages()
           if "工單" in string and msgid not in staff_only]
    assert not bad, "member-facing text says 工單:\n" + "\n".join(bad)


class _Text(HTMLParser):
    """The text nodes of a page, without its scripts and styles."""

    def __init__(self):
        super().__init__()
        self.texts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def page_texts(html):
    parser = _Text()
    parser.feed(html)
    return parser.texts


def test_member_pages_in_chinese_use_full_width_punctuation(client):
    """Templates too: text they put beside a translation (e.g. a colon after 「語言」) counts."""
    mei = make_member(name="Mei Lin", email="mei@example.com", language="zh_Hant")
    ledger.earn(mei, 900, "purchase", "forms-i18n-1", reason="Test purchase")
    reward = make_reward(name="Umbrella", name_zh="雨傘", points_cost=300)
    assert half_width_punctuation("語言:")  # what the footer said before
    zh = {"Accept-Language": "zh-TW"}
    pages = {path: client.get(path, headers=zh).get_data(as_text=True) for path in ("/login", "/signup")}
    login(client, "mei@example.com")
    for path in ("/", "/points", "/benefits", "/card", "/rewards", f"/rewards/{reward.id}",
                 f"/rewards/{reward.id}/redeem", "/rewards/my", "/notifications", "/profile"):
        response = client.get(path)
        assert response.status_code == 200, path
        pages[path] = response.get_data(as_text=True)
    bad = [f"{path}: {' | '.join(found)}" for path, html in pages.items() for text in page_texts(html)
           if (found := half_width_punctuation(text))]
    assert all('lang="zh-Hant"' in html for html in pages.values())
    assert not bad, "half-width punctuation beside Chinese text:\n" + "\n".join(bad)
