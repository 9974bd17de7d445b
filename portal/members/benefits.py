"""Tiers with their benefits, and what each tier adds over the one below it."""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.members.models import Benefit, Tier


def tiers_with_benefits():
    """Every tier, lowest first, with its benefits loaded (two queries, however many tiers)."""
    return db.session.scalars(select(Tier).options(selectinload(Tier.benefits)).order_by(Tier.rank)).all()


@dataclass
class TierOffer:
    """A tier as the benefits page compares it: what is new, what is better, what it keeps."""

    tier: Tier
    below: Tier | None
    new: list[Benefit] = field(default_factory=list)
    better: list[Benefit] = field(default_factory=list)
    kept: list[Benefit] = field(default_factory=list)

    @property
    def added(self):
        """The benefits this tier adds over the one below: new ones and better versions."""
        return [b for b in self.tier.benefits if b in self.new or b in self.better]


def _same_benefit(benefit):
    # A benefit with a kind (points_multiplier, birthday_bonus…) is "the same benefit" as the one of
    # that kind below it, however it is worded; one without a kind is matched by its title.
    return ("kind", benefit.kind) if benefit.kind else ("title", benefit.title)


def compare_tiers(tiers):
    """[TierOffer] for `tiers` (lowest first, benefits loaded), each against the tier below."""
    offers, below = [], None
    for tier in tiers:
        offer = TierOffer(tier, below)
        previous = {_same_benefit(b): b for b in below.benefits} if below is not None else {}
        for benefit in tier.benefits:
            match = previous.get(_same_benefit(benefit))
            if below is None or match is None:
                offer.new.append(benefit)
            elif (match.title, match.description) != (benefit.title, benefit.description):
                offer.better.append(benefit)
            else:
                offer.kept.append(benefit)
        offers.append(offer)
        below = tier
    return offers
