"""The results' charts laid out for the SVG macro in templates/surveys/_charts.html: horizontal bars,
each labelled with its value and count as text (never colour alone), sized for a phone, with a
summary for screen readers and the same numbers for the table under each chart.

Widths are in the SVG's own units (the viewBox is WIDTH wide; CSS scales it to the column): text is
measured roughly, a wide (Chinese) character as about twice a Latin one.
"""

import unicodedata
from dataclasses import dataclass, field

from flask_babel import format_decimal, format_number
from flask_babel import gettext as _

from portal.i18n import localized
from portal.surveys.results import DETRACTORS_UP_TO, PROMOTERS_FROM, SATISFIED_FROM, TARGET, percent

WIDTH = 320
FONT = 14  # the font size of every text in the chart (about 13 px on a 360 px phone)
NARROW, WIDE = 8.0, 14.5  # about how wide a character is at that size
BAR = 20  # a bar's height
GAP = 8  # between rows
SHORT_LABELS = 72  # labels at most this wide go left of their bars; longer ones above them
TOP_WITH_TARGET = 22  # room above the bars for the target's label


def text_width(text):
    return sum(WIDE if unicodedata.east_asian_width(ch) in "WF" else NARROW for ch in str(text))


def fit(text, width):
    """`text`, cut with an ellipsis where it would be wider than `width` (the table has it whole)."""
    text = str(text)
    if text_width(text) <= width:
        return text
    while text and text_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def percentage(share):
    """87.5% in the reader's locale; "—" when there is nothing to divide."""
    return "—" if share is None else _("%(share)s%%", share=format_decimal(share, "#,##0.0"))


def count_and_share(count, share):
    return _("%(count)s (%(share)s)", count=format_number(count), share=percentage(share))


@dataclass
class ChartBar:
    label: str  # as drawn (maybe cut short)
    full_label: str  # as in the table
    text: str  # its value and count, in words and digits
    label_x: float
    label_y: float
    label_anchor: str
    bar_x: float
    bar_y: float
    bar_width: float
    text_x: float
    text_y: float


@dataclass
class Chart:
    title: str
    summary: str  # the aria-label of the picture
    label_heading: str  # the table's first column
    value_heading: str
    width: int = WIDTH
    font: int = FONT
    bar_height: int = BAR
    height: float = 0
    bars: list = field(default_factory=list)
    target_x: float | None = None
    target_label: str = ""
    target_anchor: str = "middle"
    top: float = 0
    track_width: float = 0  # the full length a bar could have


def bar_chart(title, rows, max_value, label_heading, value_heading, target=None):
    """A chart of `rows` (label, length value, text): each bar `value / max_value` of the room left
    beside the labels and texts; `target`, on the same scale, draws a labelled line."""
    long_labels = any(text_width(label) > SHORT_LABELS for label, _value, _text in rows)
    label_room = 0 if long_labels else max([text_width(label) for label, _v, _t in rows] + [16]) + 8
    text_room = max([text_width(text) for _l, _v, text in rows] + [0]) + 6
    bar_room = WIDTH - label_room - text_room
    top = TOP_WITH_TARGET if target is not None else 2
    row_height = BAR + GAP + (FONT + 4 if long_labels else 0)
    chart = Chart(title=title, label_heading=label_heading, value_heading=value_heading, top=top, track_width=bar_room,
                  summary=_("%(title)s: %(values)s", title=title,
                            values="; ".join(_("%(label)s: %(text)s", label=label, text=text)
                                             for label, _v, text in rows)))
    for n, (label, value, text) in enumerate(rows):
        y = top + n * row_height
        bar_y = y + (FONT + 4 if long_labels else 0)
        length = bar_room * value / max_value if max_value else 0
        length = max(length, 2) if value else 0
        middle = bar_y + BAR / 2 + FONT * 0.35
        chart.bars.append(ChartBar(
            label=fit(label, WIDTH if long_labels else label_room), full_label=str(label), text=text,
            label_x=0 if long_labels else label_room - 6, label_y=y + FONT if long_labels else middle,
            label_anchor="start" if long_labels else "end", bar_x=label_room, bar_y=bar_y,
            bar_width=round(length, 1), text_y=middle,
            # beside its bar; with a target line, past the longest bar so the line never crosses it
            text_x=round(label_room + (bar_room if target is not None else length) + 4, 1)))
    chart.height = top + len(rows) * row_height
    if target is not None:
        chart.summary += " " + _("Target %(target)s%%.", target=target)
        chart.target_x = round(label_room + bar_room * target / max_value, 1)
        chart.target_label = _("Target %(target)s%%", target=target)
        half = text_width(chart.target_label) / 2
        chart.target_anchor = "end" if chart.target_x + half > WIDTH else "middle"
    return chart


def question_charts(result):
    """The charts of one question's results (none for free text, or before any answer)."""
    question = result.question
    if not result.answered or question.kind == "text":
        return []
    answers, share = _("Answer"), _("Answers (share)")
    if question.kind in ("single_choice", "multi_choice"):
        title = _("Answers by option") if question.kind == "single_choice" else \
            _("Options chosen (one member may choose several)")
        rows = [(localized(bar.choice, "label"), bar.count, count_and_share(bar.count, bar.share))
                for bar in result.bars]
        return [bar_chart(title, rows, max([bar.count for bar in result.bars] + [1]), _("Option"), share)]
    high = max(bar.count for bar in result.bars)
    scale = question.scale
    distribution = bar_chart(
        _("Answers from %(low)s to %(high)s", low=scale.start, high=scale.stop - 1),
        [(str(bar.number), bar.count, count_and_share(bar.count, bar.share)) for bar in result.bars], high,
        answers, share)
    if question.kind == "rating":
        satisfied = bar_chart(
            _("Satisfaction: answers of %(low)s or more", low=SATISFIED_FROM),
            [(f"{SATISFIED_FROM}–{scale.stop - 1}", float(result.satisfaction),
              _("%(share)s (%(count)s of %(total)s)", share=percentage(result.satisfaction),
                count=format_number(result.satisfied), total=format_number(result.answered)))],
            100, answers, _("Share of answers"), target=TARGET)
        return [satisfied, distribution]
    groups = [(_("Promoters (%(low)s–10)", low=PROMOTERS_FROM), result.promoters),
              (_("Passives (%(low)s–%(high)s)", low=DETRACTORS_UP_TO + 1, high=PROMOTERS_FROM - 1), result.passives),
              (_("Detractors (0–%(high)s)", high=DETRACTORS_UP_TO), result.detractors)]
    rows = [(label, count, count_and_share(count, percent(count, result.answered))) for label, count in groups]
    nps = bar_chart(_("Promoters, passives and detractors"), rows, max(count for _l, count in groups), _("Group"),
                    share)
    return [nps, distribution]
