"""Helpers that several test modules need (test modules never import each other)."""

import threading

from portal.extensions import db


def run_together(app, count, work):
    """Run work(i) in `count` threads that start at once, each in its own app context; the results
    (an exception a thread raised is its result)."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def target(i):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[i] = work(i)
            except BaseException as exc:  # every failure is reported by the test
                db.session.rollback()
                results[i] = exc

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is still running"
    return results
