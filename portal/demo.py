"""Demo data for a newcomer's portal: one member with 18 months of history, the four staff roles, rewards,
six events (with a few more members, who fill one of them), a satisfaction survey that about forty
more members answered, and a dozen tickets in every state (two of them Mei's)."""

import random
import struct
import zlib
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import func, select

from portal.auth.models import StaffUser
from portal.auth.passwords import hash_password
from portal.care.models import Notification
from portal.events import services as events
from portal.events.models import Event
from portal.extensions import db
from portal.mail.models import OutboxMessage
from portal.members import ledger
from portal.members.models import Member, PointsEntry, Tier
from portal.members.tiers import lowest_tier
from portal.models import add_months, utcnow
from portal.rewards.models import Reward
from portal.surveys import services as surveys
from portal.surveys.models import Choice, Invitation, Question, Survey
from portal.tickets import services as tickets
from portal.tickets.models import Ticket
from portal.uploads import pictures

DEMO_PASSWORD = "portal-demo"
STAFF = (
    ("Lee Team Lead", "lead@example.com", "admin"),
    ("Sam Service", "service@example.com", "service"),
    ("Olive Operations", "ops@example.com", "operations"),
    ("Eddie Expansion", "expansion@example.com", "expansion"),
)


def seed_demo():
    """Add the demo accounts that are missing; returns the emails it created."""
    created = []
    password_hash = hash_password(DEMO_PASSWORD)
    for name, email, role in STAFF:
        if db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is None:
            db.session.add(StaffUser(name=name, email=email, role=role,
                                     password_hash=password_hash, language="en"))
            created.append(email)
    if db.session.scalar(select(Member.id).where(Member.email == "mei@example.com")) is None:
        db.session.add(Member(
            name="Mei Lin", email="mei@example.com", password_hash=password_hash,
            language="en", phone="+886 912 345 678", birthday_month=3, birthday_day=14,
            status="active", email_verified_at=utcnow(), tier=lowest_tier(),
        ))
        created.append("mei@example.com")
    db.session.flush()
    mei = db.session.scalar(select(Member).where(Member.email == "mei@example.com"))
    if not db.session.scalar(select(func.count()).select_from(PointsEntry).where(PointsEntry.member_id == mei.id)):
        ops = db.session.scalar(select(StaffUser).where(StaffUser.email == "ops@example.com"))
        add_history(mei, ops)
    seed_rewards()
    created += seed_events()
    created += seed_survey()
    seed_tickets()
    return created


# Receipt prefixes of the stores (Xinyi flagship, online shop, Taichung, Da'an, airport outlet)
SHOPS = ("XY", "WEB", "TC", "DA", "AP")


def _receipt(shop, at, n):
    """A receipt number as the tills print them, e.g. XY-20250314-07: the reason of a purchase."""
    return {"reason_code": "purchase", "reason_params": {"reference": f"{shop}-{at:%Y%m%d}-{n:02d}"}}


def add_history(member, staff, now=None):
    """Eighteen months of believable activity: purchases, birthday bonuses, a survey, an event,
    a promotion that partly expired, a staff adjustment. Deterministic, so re-running adds nothing.

    What the portal would have written itself has a reason code (shown in the reader's language);
    what staff typed stays as typed; earnings whose kind says it all (a survey, an event) have none.
    """
    now = now or utcnow()
    rng = random.Random(20261123)
    start = add_months(now, -18)
    member.created_at = start - timedelta(days=2)  # she joined just before her first purchase
    key = f"demo:{member.id}:"
    promo_at = start + timedelta(days=3)
    ledger.earn(member, 300, "purchase", key + "promo", at=promo_at,  # opening week: double points, 6 months
                expires_at=add_months(promo_at, 6), **_receipt("XY", promo_at, 1))
    ledger.spend(member, 120, "redemption", key + "promo-use", at=promo_at + timedelta(days=40),
                 reason="Points used for a discount at the till", actor=staff)
    month = 0
    while True:
        month_start = add_months(start, month)
        if month_start >= now:
            break
        for n in range(rng.choice((2, 2, 3))):
            at = month_start + timedelta(days=rng.randint(0, 27), hours=rng.randint(10, 20))
            if at >= now:
                continue
            amount = rng.choice((25, 40, 60, 80, 110, 150, 200))
            ledger.earn(member, amount, "purchase", f"{key}purchase:{month}:{n}", at=at,
                        **_receipt(rng.choice(SHOPS), at, n + 1))
        if month_start.month == member.birthday_month:
            ledger.earn(member, 100, "birthday", f"{key}birthday:{month_start.year}", at=month_start,
                        reason_code="birthday")
        month += 1
    ledger.expire_due(member, now=add_months(promo_at, 6) + timedelta(hours=1))
    anniversary = add_months(now, -6) + timedelta(days=20)
    ledger.earn(member, 180, "purchase", key + "anniversary", at=anniversary,  # double points, 6 months
                expires_at=add_months(anniversary, 6), **_receipt("WEB", anniversary, 1))
    ledger.earn(member, 50, "survey", key + "survey", at=add_months(now, -7))  # the event: seed_events()
    ledger.adjust(member, 200, "Apology for a delivery that arrived a week late", staff, key + "adjustment",
                  at=add_months(now, -2))


# Members who fill the demo's full event (they have no history of their own).
GUESTS = (("Ann Lee", "ann.lee@example.com"), ("Ben Wu", "ben.wu@example.com"), ("Chen Yu", "chen.yu@example.com"),
          ("Dana Hsu", "dana.hsu@example.com"), ("Eric Lin", "eric.lin@example.com"))

# title, title_zh, description, description_zh, days from now (negative: past), hours long, online,
# capacity, minimum tier, attendance points. Mei attended the first (checked in, 150 points) and is
# registered for the third; the fifth is for Gold and above (Mei is Silver); the guests fill the last.
EVENTS = (
    ("Spring tea tasting", "春季品茶會", "Six oolongs from Alishan, poured by the grower.",
     "阿里山茶農親自沖泡六款烏龍茶。", -122, 2, False, 24, None, 150),
    ("Home brewing masterclass", "居家手沖大師課", "Pour-over at home, live with our head barista.",
     "與首席咖啡師線上直播，學會在家手沖。", -40, 1, True, 100, None, 50),
    ("New Year calligraphy workshop", "新春書法工作坊", "Write your own spring couplets; brushes and paper provided.",
     "親手寫春聯，現場提供筆墨與紙。", 12, 2, False, 20, None, 100),
    ("Online wine tasting", "線上品酒會", "Four wines delivered to your door, tasted together online.",
     "四款葡萄酒送到府上，線上一起品飲。", 5, 1, True, 60, None, 80),
    ("Gold members' dinner", "金卡會員晚宴", "A seasonal menu by our partner chef, for Gold and Platinum members.",
     "合作主廚的當季菜單，金卡與白金卡會員專屬。", 20, 3, False, 16, "gold", 200),
    ("Latte art class", "拉花課", "Hearts, tulips and rosettas in a small group at the Da'an store.",
     "在大安門市小班學習愛心、鬱金香與葉子拉花。", 8, 2, False, 3, None, 60),
)
VENUE = ("Xinyi flagship", "11 Songren Road, Xinyi District, Taipei")
DA_AN = ("Da'an store", "145 Fuxing South Road Section 1, Da'an District, Taipei")


def seed_events(now=None):
    """Add the demo events when there are none, through the events services (registrations in the past
    dated then); returns the emails of the guest members it created."""
    now = now or utcnow()
    if db.session.scalar(select(func.count()).select_from(Event)):
        return []
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == "expansion@example.com"))
    desk = db.session.scalar(select(StaffUser).where(StaffUser.email == "ops@example.com"))
    mei = db.session.scalar(select(Member).where(Member.email == "mei@example.com"))
    created, guests = [], []
    password_hash = hash_password(DEMO_PASSWORD)
    for name, email in GUESTS:
        guest = db.session.scalar(select(Member).where(Member.email == email))
        if guest is None:
            guest = Member(name=name, email=email, password_hash=password_hash, language="en", status="active",
                           email_verified_at=now, tier=lowest_tier())
            db.session.add(guest)
            created.append(email)
        guests.append(guest)
    db.session.flush()
    tiers = {tier.code: tier.id for tier in db.session.scalars(select(Tier))}
    made = []
    for title, title_zh, text, text_zh, days, hours, online, capacity, tier, points in EVENTS:
        starts = (now + timedelta(days=days)).replace(hour=11, minute=0, second=0, microsecond=0)  # 19:00 in Taipei
        venue, address = ("", "") if online else (DA_AN if capacity == 3 else VENUE)
        event = events.create_event({
            "title": title, "title_zh": title_zh, "description": text, "description_zh": text_zh,
            "registration_opens_at": None, "registration_closes_at": None, "min_tier_id": tiers[tier] if tier else None,
            "attendance_points": points, "cancel_cutoff_hours": 24, "starts_at": starts,
            "ends_at": starts + timedelta(hours=hours), "online": online,
            "online_url": "https://meet.example.com/member-portal" if online else "", "venue": venue,
            "address": address, "capacity": capacity}, staff)
        events.publish(event, staff, now=min(now, starts - timedelta(days=30)))
        made.append(event)
    tasting, _masterclass, calligraphy, _wine, _dinner, latte = made
    before = (db.session.scalar(select(func.max(Notification.id))) or 0,
              db.session.scalar(select(func.max(OutboxMessage.id))) or 0)
    signed_up = tasting.starts_at - timedelta(days=10)
    place = events.register(mei, tasting, now=signed_up)
    events.check_in(place, desk, tasting, now=tasting.starts_at + timedelta(minutes=5))
    _backdate(mei, before, signed_up)  # what she was told then is not news now
    events.register(mei, calligraphy, now=now - timedelta(days=2))
    for n, guest in enumerate(guests):  # three places and two in the queue
        events.register(guest, latte, now=now - timedelta(days=3, hours=-n))
    db.session.flush()
    return created


def _backdate(member, after, at):
    """Date at `at` the notifications (read) and emails `member` got after `after` (the last ids before)."""
    for notification in db.session.scalars(select(Notification).where(
            Notification.member_id == member.id, Notification.id > after[0])):
        notification.created_at = notification.read_at = at
    for message in db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.member_id == member.id, OutboxMessage.id > after[1])):
        message.created_at = at


SURVEY_TITLE = "Member satisfaction 2026"
# Members who answer the demo survey (they have no other history): "Given Surname", made in bulk.
GIVEN = ("Wei", "Ting", "Hao", "Yi-chen", "Chia-hui", "Jun", "Shu-fen", "Po-han", "Kai", "Ya-ting", "Chun",
         "Hsin", "An", "Yu", "Jia")
SURNAMES = ("Chen", "Lin", "Huang", "Chang", "Lee", "Wang", "Wu", "Liu", "Tsai", "Yang", "Hsu", "Cheng",
            "Hsieh", "Kuo", "Hung")
SURVEY_MEMBERS = 52  # the first 40 answer, the next 5 open the link and stop
ANSWERING, OPENING = 40, 5
# 40 ratings, 35 of them 8 or more (87.5%: just short of the programme's 90% target).
RATINGS = (10,) * 13 + (9,) * 12 + (8,) * 10 + (7, 7, 6, 5, 3)
NPS_FOR = {10: (10, 10, 9), 9: (9, 8, 9), 8: (8, 7, 8), 7: (6, 7), 6: (5,), 5: (4,), 3: (2,)}
STORES = (("Xinyi flagship", "信義旗艦店"), ("Online shop", "網路商店"), ("Taichung store", "台中門市"),
          ("Da'an store", "大安門市"), ("Airport outlet", "機場門市"))
WISHES = (("More events", "更多活動"), ("More rewards to choose from", "更多兌換禮品"), ("Member prices", "會員價"),
          ("Online workshops", "線上課程"), ("Birthday treats", "生日禮遇"))
COMMENTS = (
    ("en", "The staff at Xinyi always remember my order."), ("zh_Hant", "店員很親切，兌換流程也很簡單。"),
    ("en", "Points expire too quickly for how little I buy."), ("en", "Loved the tea tasting, please do more!"),
    ("zh_Hant", "希望網路商店也能用積分折抵運費。"), ("en", "Delivery took a week longer than promised."),
    ("en", "Easy to use on my phone."), ("zh_Hant", "生日禮遇很貼心，謝謝！"),
    ("en", "I did not know about the rewards catalogue until this survey."), ("zh_Hant", "活動名額太少，常常報不到。"),
    ("en", "Great value for Gold members."), ("en", "The app logs me out too often."),
    ("zh_Hant", "客服回覆很快，問題一次就解決了。"), ("en", "More weekend events in Taichung, please."),
    ("en", "Member prices on coffee beans would be nice."), ("zh_Hant", "整體很滿意，會推薦給朋友。"),
    ("en", "The latte art class was the highlight of my month."), ("en", "Checkout at the airport outlet was slow."),
    ("zh_Hant", "希望有更多線上課程。"), ("en", "Keep it simple, it works well as it is."),
    ("en", "Vouchers should last longer than 30 days."), ("zh_Hant", "門市環境舒適，服務很好。"),
)


def seed_survey(now=None):
    """Add the demo's sent "Member satisfaction 2026" survey when it is missing: about forty members made
    for it answer through the surveys services (dated over the weeks after it was sent), a few open it
    and stop, and Mei has not answered yet. Returns the emails of the members it created."""
    now = now or utcnow()
    if db.session.scalar(select(Survey.id).where(Survey.title == SURVEY_TITLE)) is not None:
        return []
    ops = db.session.scalar(select(StaffUser).where(StaffUser.email == "ops@example.com"))
    survey = Survey(
        title=SURVEY_TITLE, title_zh="2026 會員滿意度調查",
        introduction="Five quick questions about the programme: they take two minutes and help us do better.",
        introduction_zh="關於會員計畫的五個簡短問題，只需兩分鐘，幫助我們做得更好。",
        # No completion points: forty ledger entries would slow the demo (and every test that seeds it).
        points=0, created_by=ops, created_at=now - timedelta(days=24), questions=[
            Question(position=1, kind="rating", text="How satisfied are you with the membership programme?",
                     text_zh="您對會員計畫滿意嗎？"),
            Question(position=2, kind="nps", text="How likely are you to recommend us to a friend?",
                     text_zh="您有多大可能向朋友推薦我們？"),
            Question(position=3, kind="single_choice", text="Where do you shop with us most often?",
                     text_zh="您最常在哪裡購物？",
                     choices=[Choice(position=n, label=en, label_zh=zh) for n, (en, zh) in enumerate(STORES)]),
            Question(position=4, kind="multi_choice", text="What would you like more of?",
                     text_zh="您希望我們多提供哪些？", required=False,
                     choices=[Choice(position=n, label=en, label_zh=zh) for n, (en, zh) in enumerate(WISHES)]),
            Question(position=5, kind="text", text="Anything else you would like to tell us?",
                     text_zh="還有什麼想告訴我們的嗎？", required=False),
        ])
    db.session.add(survey)
    members, created = _survey_members(now)
    db.session.flush()
    sent = now - timedelta(days=20)
    rating, nps, store, wishes, comment = survey.questions
    rng = random.Random(2026)
    scores = list(RATINGS)
    rng.shuffle(scores)
    comments = iter(COMMENTS)
    mei = db.session.scalar(select(Member).where(Member.email == "mei@example.com"))
    guests = db.session.scalars(select(Member).where(Member.email.in_([email for _name, email in GUESTS]))).all()
    for n, member in enumerate([*members, *guests, mei]):
        invitation = surveys.invite(member, survey, now=sent, email=False)
        if n >= ANSWERING:
            if n < ANSWERING + OPENING:
                surveys.mark_opened(invitation, now=sent + timedelta(days=1, hours=n))
            continue
        score = scores[n]
        values = {rating.id: score, nps.id: NPS_FOR[score][n % len(NPS_FOR[score])],
                  store.id: [rng.choices(store.choices, weights=(5, 4, 2, 3, 1))[0].id]}
        if n % 5:  # most say what they would like more of
            values[wishes.id] = sorted({choice.id for choice in rng.sample(wishes.choices, rng.randint(1, 3))})
        said = next(comments, None) if n % 7 not in (3, 5) else None
        language = said[0] if said else ("zh_Hant" if n % 3 == 0 else "en")
        if said:
            values[comment.id] = said[1]
        answered = sent + timedelta(days=n * 12 / ANSWERING, hours=rng.randint(1, 10))
        surveys.mark_opened(invitation, now=answered - timedelta(minutes=3))
        surveys.submit(invitation, surveys.Answers(values=values), language, now=answered)
    db.session.flush()
    return created


def _survey_members(now):
    """The members who answer the demo survey, added in one go (those already there are reused)."""
    tiers = {tier.code: tier for tier in db.session.scalars(select(Tier))}
    spread = ("regular",) * 18 + ("silver",) * 20 + ("gold",) * 10 + ("diamond",) * 4  # a tier filter worth using
    password_hash = hash_password(DEMO_PASSWORD)
    people = []
    for n in range(SURVEY_MEMBERS):
        given, surname = GIVEN[n % len(GIVEN)], SURNAMES[(n + n // len(GIVEN)) % len(SURNAMES)]
        people.append((f"{given} {surname}", f"{given}.{surname}@example.com".lower(), spread[(n * 7) % len(spread)]))
    found = {m.email: m for m in db.session.scalars(select(Member).where(Member.email.in_([p[1] for p in people])))}
    members, created = [], []
    for name, email, tier in people:
        member = found.get(email)
        if member is None:
            member = Member(name=name, email=email, password_hash=password_hash, language="en", status="active",
                            email_verified_at=now - timedelta(days=200), created_at=now - timedelta(days=200),
                            tier=tiers[tier])
            db.session.add(member)
            created.append(email)
        members.append(member)
    return members, created


# The demo tickets (numbered in the order they were filed): whose (an email), kind, subject, first message,
# hours ago it was filed, then what happened to it, each step (hours after filing, action, argument):
# "reply" (Sam Service answers), "note" (an internal note), "assign" (to "service" Sam or "lead" Lee),
# "status" (a move by Sam; "closed" with no staff, as the daily job closes it), "confirm" (the member
# closes it), "score" (the member answers the satisfaction survey: rating, comment). Ann's complaint is
# left past its resolution time (escalate() records the breach and emails Sam and Lee), Mei's voucher
# complaint waits on her reply, Ben's consultation is resolved with a score of 9. Every other open ticket
# is due after the demo is made (Ting Lin's within the two hours of "due soon").
TICKETS = (
    ("chen.yu@example.com", "feedback", "More weekend events in Taichung, please",
     "I would love to join your events but they are always on weekday evenings in Taipei.", 20 * 24, (
         (3, "reply", "Thank you! We passed this on to the events team, who plan two Taichung weekends next "
                      "quarter."),
         (4, "status", "resolved"), (7 * 24 + 4, "status", "closed"))),
    ("dana.hsu@example.com", "complaint", "The latte art class moved without notice",
     "The class time changed and I only found out at the store. Please tell us earlier next time.", 15 * 24, (
         (1, "assign", "service"),
         (2, "reply", "We are sorry: the change was made without an email going out. The class is back at its "
                      "original time and you keep your place."),
         (3, "status", "resolved"), (20, "confirm", None))),
    ("eric.lin@example.com", "consultation", "How do I change my email address?",
     "I have a new email address. Can I change it myself?", 10 * 24, (
         (2, "reply", "Yes: open Profile, choose Change email and confirm the link we send to the new address."),
         (3, "status", "resolved"), (7 * 24 + 3, "status", "closed"))),
    ("chia-hui.lee@example.com", "feedback", "Loved the tea tasting",
     "The spring tea tasting was wonderful. Thank you to the grower!", 6 * 24, (
         (5, "reply", "Thank you for telling us, we passed it on to the grower."),
         (5, "status", "resolved"), (30, "confirm", None))),
    ("ben.wu@example.com", "consultation", "Do my points expire when my tier changes?",
     "If I move down a tier next year, do I lose the points I have now?", 4 * 24, (
         (3, "reply", "No: points keep their own expiry date whatever your tier. Your card page shows when "
                      "they expire."),
         (20, "status", "resolved"), (22, "score", (9, "Quick and clear, thank you.")))),
    ("mei@example.com", "complaint", "My voucher was refused at the Da'an store",
     "The cashier said my coffee voucher was not valid, but the portal shows it as unused.", 30, (
         (1, "assign", "service"),
         (2, "reply", "Sorry about that, Mei. Could you send us a photo of the voucher on your phone so we can "
                      "check it with the store?"),
         (2, "status", "waiting_on_member"))),
    ("ann.lee@example.com", "complaint", "I was charged twice for one order",
     "My card shows two payments for the online order I placed on Sunday.", 30, (
         (1, "assign", "service"),
         (2, "reply", "Sorry about this, Ann. We are checking the payments with our finance team."),
         (3, "note", "Asked finance to check the payment provider's report."))),
    ("hao.huang@example.com", "complaint", "The wrong size of tote bag arrived",
     "I redeemed the canvas tote bag but got the small one.", 9, (
         (1, "assign", "service"),
         (2, "reply", "Sorry about that! A courier will swap it this week; we will tell you the day."))),
    ("mei@example.com", "feedback", "A dark mode for the portal",
     "I check my points at night: a dark mode would be easier on the eyes.", 8, (
         (3, "reply", "Thanks Mei, a good idea: we added it to the list for the next design update."),)),
    ("yi-chen.chang@example.com", "consultation", "Can I bring a friend to the wine tasting?",
     "Is the online wine tasting for members only, or can a friend join on my screen?", 6, (
         (1, "assign", "lead"),
         (2, "reply", "A friend is welcome on your screen. Let me check whether we can send a second glass."))),
    ("ting.lin@example.com", "consultation", "Can I move points to my husband's account?",
     "We both shop with you. Can I give him my points?", 23, ()),
    ("wei.chen@example.com", "feedback", "The app logs me out too often",
     "I have to log in again every morning. Could it remember me for longer?", 2, ()),
)

TICKET_EVENTS = {"dana.hsu@example.com": "Latte art class"}  # whose ticket is about one of the demo events


def seed_tickets(now=None):
    """Add the demo tickets when there are none, through the tickets services (each step dated when it
    happened), then escalate what is past its due time (Ann's complaint). Returns how many it made."""
    now = now or utcnow()
    if db.session.scalar(select(func.count()).select_from(Ticket)):
        return 0
    staff = {"service": db.session.scalar(select(StaffUser).where(StaffUser.email == "service@example.com")),
             "lead": db.session.scalar(select(StaffUser).where(StaffUser.email == "lead@example.com"))}
    members = {m.email: m for m in db.session.scalars(
        select(Member).where(Member.email.in_({spec[0] for spec in TICKETS})))}
    related = {e.title: e for e in db.session.scalars(select(Event).where(Event.title.in_(TICKET_EVENTS.values())))}
    for email, kind, subject, body, hours_ago, steps in sorted(TICKETS, key=lambda spec: -spec[4]):  # as filed
        member, filed = members[email], now - timedelta(hours=hours_ago)
        event = related.get(TICKET_EVENTS.get(email))  # the event a ticket is about (she is registered)
        with _told_at(filed):
            ticket = tickets.open_ticket(member, kind, subject, body, event=event, now=filed)
        for hours, action, argument in steps:
            at = filed + timedelta(hours=hours)
            with _told_at(at, read=action != "reply" or hours_ago > 48):  # recent answers are news
                _ticket_step(ticket, member, staff, action, argument, at)
    tickets.escalate(now=now)
    db.session.flush()
    return len(TICKETS)


def _ticket_step(ticket, member, staff, action, argument, at):
    sam = staff["service"]
    if action == "reply":
        tickets.staff_reply(ticket, sam, argument, seen_version=ticket.version, now=at)
    elif action == "note":
        tickets.staff_reply(ticket, sam, argument, internal=True, seen_version=ticket.version, now=at)
    elif action == "assign":
        tickets.assign(ticket, staff[argument], by=sam, now=at)
    elif action == "status":
        tickets.change_status(ticket, argument, staff=None if argument == "closed" else sam, now=at)
    elif action == "confirm":
        tickets.confirm_resolution(ticket, member, now=at)
    elif action == "score":
        rating, comment = argument
        invitation = db.session.scalar(select(Invitation).where(
            Invitation.about_type == "ticket", Invitation.about_id == ticket.id, Invitation.member_id == member.id))
        if invitation is None:  # staff closed the satisfaction survey: nobody is asked
            return
        values = {q.id: rating if q.kind == "rating" else comment
                  for q in invitation.survey.questions if q.kind in ("rating", "text")}
        surveys.mark_opened(invitation, now=at - timedelta(minutes=2))
        surveys.submit(invitation, surveys.Answers(values=values), "en", now=at)


@contextmanager
def _told_at(at, read=True):
    """Date at `at` the notifications (read, unless `read` is False) and emails made inside the block."""
    after = (db.session.scalar(select(func.max(Notification.id))) or 0,
             db.session.scalar(select(func.max(OutboxMessage.id))) or 0)
    yield
    db.session.flush()
    for notification in db.session.scalars(select(Notification).where(Notification.id > after[0])):
        notification.created_at = at
        notification.read_at = at if read else None
    for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > after[1])):
        message.created_at = at


# name, name_zh, description, description_zh, points, stock (None = unlimited), minimum tier, days until
# it opens, picture (background, foreground, shape). Mei (Silver, about 4,200 points) can afford some,
# not the speaker or the hotel; the spa is for Gold and above; the umbrella is out of stock.
REWARDS = (
    ("Coffee for two", "咖啡兩杯", "Two hand-brewed coffees at any of our stores.", "任一門市兩杯手沖咖啡。",
     300, None, None, 0, ((122, 59, 18), (246, 230, 204), "circle")),
    ("Free delivery for a year", "一年免運費", "Every online order delivered free for twelve months.",
     "十二個月內網路訂單全部免運費。", 500, None, None, 0, ((31, 95, 140), (214, 236, 250), "box")),
    ("Canvas tote bag", "帆布托特包", "A sturdy tote in natural canvas with the programme's emblem.",
     "印有會員計畫標誌的天然帆布托特包。", 800, 60, None, 0, ((60, 110, 60), (236, 228, 206), "bag")),
    ("Limited-edition umbrella", "限量雨傘", "A folding umbrella in this year's colours.", "今年配色的折疊傘。",
     1000, 0, None, 0, ((70, 60, 120), (240, 200, 80), "diamond")),
    ("Movie tickets for two", "電影票兩張", "Two tickets for any film at partner cinemas.",
     "合作影城任一場次電影票兩張。", 1500, 25, None, 0, ((40, 40, 48), (230, 60, 60), "ticket")),
    ("Afternoon tea for two", "雙人下午茶", "Tea, scones and cakes for two at the Xinyi flagship café.",
     "信義旗艦店咖啡廳的雙人下午茶。", 2400, 12, None, 0, ((176, 92, 120), (252, 236, 240), "circle")),
    ("Spa afternoon", "水療午後", "Three hours of calm at a partner spa.",
     "合作水療館三小時的放鬆時光。", 3000, 8, "gold", 0, ((20, 120, 120), (255, 215, 120), "diamond")),
    ("Bluetooth speaker", "藍牙喇叭", "A portable waterproof speaker.", "防水可攜式藍牙喇叭。",
     6500, 15, None, 0, ((30, 30, 30), (90, 200, 250), "circle")),
    ("Weekend hotel stay", "週末飯店住宿", "Two nights for two at a partner hotel in Hualien.",
     "花蓮合作飯店雙人兩晚住宿。", 15000, 3, None, 0, ((20, 60, 110), (250, 250, 250), "box")),
    ("Lunar New Year gift box", "新春禮盒", "Pineapple cakes and tea, ready for the new year.",
     "鳳梨酥與好茶的新春禮盒。", 1200, 100, None, 30, ((170, 20, 30), (250, 200, 60), "box")),
)


def seed_rewards(now=None):
    """Add the demo rewards that are missing, each with a picture drawn here; returns their names."""
    now = now or utcnow()
    existing = set(db.session.scalars(select(Reward.name)))
    tiers = {tier.code: tier for tier in db.session.scalars(select(Tier))}
    added = []
    for name, name_zh, text, text_zh, points, stock, tier, opens_in, (back, front, shape) in REWARDS:
        if name in existing:
            continue
        db.session.add(Reward(
            name=name, name_zh=name_zh, description=text, description_zh=text_zh, points_cost=points,
            stock=stock, min_tier=tiers[tier] if tier else None, active=True,
            available_from=now + timedelta(days=opens_in) if opens_in else None,
            picture=pictures.store(demo_picture(back, front, shape)),
        ))
        added.append(name)
    db.session.flush()
    return added


def demo_picture(back, front, shape, width=400, height=300):
    """A small PNG drawn in pure Python: a background shading downwards and one shape on it."""
    cx, cy = width // 2, height // 2
    rows = []
    for y in range(height):
        shade = 1 - 0.25 * y / height
        row = bytearray(bytes(int(c * shade) for c in back) * width)
        for x0, x1 in _spans(shape, y, cx, cy):
            x0, x1 = max(0, x0), min(width, x1)
            if x1 > x0:
                row[3 * x0:3 * x1] = bytes(front) * (x1 - x0)
        rows.append(b"\x00" + bytes(row))  # filter type 0 for each scanline
    return (pictures.PNG_SIGNATURE
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + _chunk(b"IEND", b""))


def _chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def _spans(shape, y, cx, cy):
    """The horizontal runs [x0, x1) of `shape` on row y."""
    dy = y - cy
    if shape == "circle":
        r = 90
        if abs(dy) <= r:
            half = int((r * r - dy * dy) ** 0.5)
            yield cx - half, cx + half
    elif shape == "diamond":
        half = 100 - abs(dy)
        if half > 0:
            yield cx - half, cx + half
    elif shape == "box":  # a parcel with its ribbon
        if -80 <= dy <= 80:
            yield (cx - 110, cx - 12) if abs(dy) > 10 else (cx - 110, cx + 110)
            if abs(dy) > 10:
                yield cx + 12, cx + 110
    elif shape == "bag":  # a bag and its handle
        if -95 <= dy < -55:
            yield cx - 50, cx - 35
            yield cx + 35, cx + 50
        elif -55 <= dy <= 90:
            yield cx - 100, cx + 100
    elif shape == "ticket" and -60 <= dy <= 60:  # a ticket with round notches on its sides
        notch = int((400 - dy * dy) ** 0.5) if abs(dy) < 20 else 0
        yield cx - 140 + notch, cx + 140 - notch
