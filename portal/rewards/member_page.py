"""The member's redemptions on the staff member page, with voucher codes only for staff who may use them.

Least privilege: member service and expansion answer questions about a voucher from its last 4
characters; only operations (and admin, who holds every role) see whole codes and act on them.
"""

from flask_login import current_user

from portal.auth import roles
from portal.members import staff_page
from portal.rewards import services

WHOLE_VOUCHER_CODES = roles.REWARDS  # operations, and admin who holds every role
VOUCHER_SHOWN = 4  # characters at the end of a code that every staff role sees


def masked_code(code):
    """A voucher code without its secret part: ("••••-••••-", "9HPW") for "K7QM-2XRT-9HPW"."""
    hidden, shown = code[:-VOUCHER_SHOWN], code[-VOUCHER_SHOWN:]
    return "".join("-" if character == "-" else "•" for character in hidden), shown


def _redemptions(member, _form):
    return {"redemptions": services.my_redemptions(member),
            "whole_codes": current_user.has_role(*WHOLE_VOUCHER_CODES), "masked_code": masked_code}


staff_page.add_part("sections", "redemptions", "rewards/_member_redemptions.html", _redemptions)
