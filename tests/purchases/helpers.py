"""Helpers the purchases tests share."""

from sqlalchemy import func, select

from portal.extensions import db
from portal.members.models import PointsEntry
from portal.purchases.models import Purchase


def html(response):
    return response.get_data(as_text=True)


def purchases_of(member=None):
    query = select(Purchase).order_by(Purchase.id)
    if member is not None:
        query = query.where(Purchase.member_id == member.id)
    return db.session.scalars(query).all()


def points_entries(member):
    return db.session.scalars(
        select(PointsEntry).where(PointsEntry.member_id == member.id).order_by(PointsEntry.id)).all()


def purchase_count():
    return db.session.scalar(select(func.count()).select_from(Purchase))
