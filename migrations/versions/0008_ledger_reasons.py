"""ledger reasons: reason codes and parameters on points entries and tier changes

Generated reasons were stored as English sentences. They become a code and its parameters,
rendered in the reader's language (portal/members/reasons.py); staff's free text stays in
`reason`. The existing generated reasons that can be recognised are converted; the rest stay
as they are. Also an index for the timeline's "voucher used" rows.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 08:00:00

"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

QUALIFYING = re.compile(r"^qualifying points reached (\d+)$")
REVIEW = re.compile(r"^monthly tier review: (\d+) qualifying points, (\w+) needs (\d+)$")
BIRTHDAY = "Happy birthday!"

entries = sa.table(
    "points_entries", sa.column("id", sa.Integer), sa.column("kind", sa.String), sa.column("reason", sa.Text),
    sa.column("actor_staff_id", sa.Integer), sa.column("reason_code", sa.String),
    sa.column("reason_params", sa.JSON),
)
changes = sa.table(
    "tier_changes", sa.column("id", sa.Integer), sa.column("reason", sa.Text),
    sa.column("actor_staff_id", sa.Integer), sa.column("reason_code", sa.String),
    sa.column("reason_params", sa.JSON),
)
purchases = sa.table("purchases", sa.column("points_entry_id", sa.Integer), sa.column("reference", sa.String))
redemptions = sa.table("redemptions", sa.column("points_entry_id", sa.Integer), sa.column("reward_id", sa.Integer))
rewards = sa.table("rewards", sa.column("id", sa.Integer), sa.column("name", sa.String))


def _write(table, rows):
    """Set reason, reason_code and reason_params of the rows [(id, reason, code, params)]."""
    if rows:
        op.get_bind().execute(
            table.update().where(table.c.id == sa.bindparam("row_id"))
            .values(reason=sa.bindparam("new_reason"), reason_code=sa.bindparam("code"),
                    reason_params=sa.bindparam("params", type_=sa.JSON(none_as_null=True))),
            [{"row_id": i, "new_reason": reason, "code": code, "params": params} for i, reason, code, params in rows],
        )


def upgrade():
    with op.batch_alter_table('points_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('reason_params', sa.JSON(), nullable=True))
    with op.batch_alter_table('tier_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('reason_params', sa.JSON(), nullable=True))
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.create_index('ix_redemptions_member_used', ['member_id', 'used_at'], unique=False)

    bind = op.get_bind()
    automatic = changes.c.actor_staff_id.is_(None)
    converted = []
    for change_id, reason in bind.execute(sa.select(changes.c.id, changes.c.reason).where(automatic)):
        if match := QUALIFYING.match(reason or ""):
            converted.append((change_id, "", "qualifying_points", {"points": int(match[1])}))
        elif match := REVIEW.match(reason or ""):
            converted.append((change_id, "", "tier_review",
                              {"points": int(match[1]), "tier": match[2], "threshold": int(match[3])}))
    _write(changes, converted)

    generated = entries.c.actor_staff_id.is_(None)
    bought = bind.execute(
        sa.select(entries.c.id, purchases.c.reference)
        .join(purchases, purchases.c.points_entry_id == entries.c.id)
        .where(entries.c.kind == "purchase", entries.c.reason == purchases.c.reference)  # by staff too
    ).all()
    _write(entries, [(i, "", "purchase", {"reference": reference}) for i, reference in bought])
    redeemed = bind.execute(
        sa.select(entries.c.id, redemptions.c.reward_id)
        .join(redemptions, redemptions.c.points_entry_id == entries.c.id)
        .join(rewards, rewards.c.id == redemptions.c.reward_id)
        .where(generated, entries.c.kind == "redemption", entries.c.reason == rewards.c.name)
    ).all()
    _write(entries, [(i, "", "redemption", {"reward_id": reward_id}) for i, reward_id in redeemed])
    birthdays = bind.execute(
        sa.select(entries.c.id).where(generated, entries.c.kind == "birthday",
                                      sa.or_(entries.c.reason == "", entries.c.reason == BIRTHDAY))
    ).scalars().all()
    _write(entries, [(i, "", "birthday", None) for i in birthdays])


def downgrade():
    bind = op.get_bind()
    back = []
    for change_id, code, params in bind.execute(
            sa.select(changes.c.id, changes.c.reason_code, changes.c.reason_params)
            .where(changes.c.reason_code.is_not(None))):
        if code == "qualifying_points":
            back.append((change_id, f"qualifying points reached {params['points']}", None, None))
        elif code == "tier_review":
            back.append((change_id, f"monthly tier review: {params['points']} qualifying points, "
                                    f"{params['tier']} needs {params['threshold']}", None, None))
    _write(changes, back)

    names = dict(bind.execute(sa.select(rewards.c.id, rewards.c.name)).all())
    back = []
    for entry_id, code, params in bind.execute(
            sa.select(entries.c.id, entries.c.reason_code, entries.c.reason_params)
            .where(entries.c.reason_code.is_not(None))):
        params = params or {}
        if code == "purchase":
            back.append((entry_id, params.get("reference", ""), None, None))
        elif code == "redemption":
            back.append((entry_id, names.get(params.get("reward_id"), ""), None, None))
        elif code == "birthday":
            back.append((entry_id, BIRTHDAY, None, None))
    _write(entries, back)

    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.drop_index('ix_redemptions_member_used')
    for table in ('tier_changes', 'points_entries'):
        for column in ('reason_params', 'reason_code'):
            if bind.dialect.name == "sqlite":
                # SQLite (3.35+) drops a plain column in place; a batch copy would drop the table,
                # which the tables that refer to it do not allow.
                op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
            else:
                op.drop_column(table, column)
