"""How a job runs over many members: a batch of members per commit, failures logged, the rest kept."""

import logging
from datetime import UTC, datetime

from portal.extensions import db
from portal.models import utcnow

log = logging.getLogger("jobs")
BATCH_SIZE = 100


class IncompleteRun(RuntimeError):
    """Some members failed; every other member was processed and committed."""


def moment(at=None):
    """The job's "now": `at` (an ISO 8601 string, for a re-run of a missed day) or the current time."""
    if at is None:
        return utcnow()
    parsed = datetime.fromisoformat(at)
    if parsed.tzinfo is None:
        raise ValueError(f"{at!r} has no time zone; give one, e.g. {at}+00:00")
    return parsed.astimezone(UTC)


def in_batches(job_name, ids, work, size=BATCH_SIZE):
    """Call `work(ids_of_a_batch)` and commit, batch after batch; returns what the calls returned.

    A batch that fails is rolled back and done again one member at a time, so that one bad
    member costs only their own work; each failure is logged, and IncompleteRun raised at the
    end (the job shows as failed, with the members' ids) once all the others are committed.
    """
    done, failed = [], []
    for start in range(0, len(ids), size):
        batch = list(ids[start:start + size])
        try:
            done += work(batch)
            db.session.commit()
            continue
        except Exception:
            db.session.rollback()
            if len(batch) == 1:
                log.exception("%s: member %s failed", job_name, batch[0])
                failed += batch
                continue
            log.warning("%s: a batch of %d members failed; doing them one at a time", job_name, len(batch))
        for member_id in batch:
            try:
                done += work([member_id])
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("%s: member %s failed", job_name, member_id)
                failed.append(member_id)
    if failed:
        raise IncompleteRun(f"{job_name}: {len(failed)} member(s) failed (ids {failed}); "
                            f"the other {len(ids) - len(failed)} were done")
    return done
