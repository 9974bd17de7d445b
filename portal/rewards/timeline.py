"""What rewards adds to the member's timeline and to the reasons on ledger rows.

Members does not import rewards: create_app() calls register() once the features are loaded.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Integer, select

from portal.members import reasons, timeline
from portal.rewards.models import Redemption, Reward


def vouchers_used_query(member_id, limit):
    """The member's latest vouchers used at a store (issuing one shows as the ledger's redemption)."""
    return (
        select(Redemption.used_at.label("when"), timeline.constant("reward").label("source"),
               timeline.constant("voucher_used").label("kind"), timeline.no_value(Integer).label("amount"),
               timeline.constant("redemption").label("reason_code"),
               timeline.no_value(JSON).label("reason_params"), timeline.constant("").label("reason"),
               Redemption.reward_id.label("ref_id"), Redemption.id.label("row_id"))
        .where(Redemption.member_id == member_id, Redemption.used_at.is_not(None))
        .order_by(Redemption.used_at.desc(), Redemption.id.desc()).limit(limit)
    )


def reward_names(ids):
    """The names of the rewards that a page's reasons name (members/reasons.py runs it)."""
    return select(Reward.id.label("key"), Reward.name.label("name"), Reward.name_zh.label("name_zh")) \
        .where(Reward.id.in_(ids))


def register():
    """Add the "voucher used" rows to the timeline, and the rewards' names to the ledger's reasons."""
    timeline.register_source("reward", vouchers_used_query, lambda row: _l("Voucher used"),
                             params=lambda row: {"reward_id": row.ref_id})
    reasons.register_subject("reward", reward_names)
