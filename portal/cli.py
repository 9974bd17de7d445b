"""Flask commands: seed-demo, db-empty (for `make run`), points reconcile, jobs list/run."""

import inspect as pyinspect

import click
from flask import current_app
from flask.cli import AppGroup
from rq.utils import import_attribute
from sqlalchemy import func, inspect, select

from jobs.runs import IncompleteRun, moment
from jobs.schedule import JOBS, SCHEDULE
from portal.demo import seed_demo
from portal.extensions import db
from portal.members.ledger import reconcile
from portal.members.models import Member


def init_app(app):
    points = click.Group("points", help="The points ledger.")
    app.cli.add_command(points)

    @points.command("reconcile")
    @click.option("--repair", is_flag=True, help="Set each wrong cached balance to the ledger's sum.")
    def reconcile_command(repair):
        """Check every member's cached balance against the ledger (and repair it with --repair)."""
        wrong = reconcile(repair=repair)
        for member_id, cached, actual in wrong:
            click.echo(f"member {member_id}: cached {cached}, ledger {actual}")
        if repair:
            db.session.commit()
            click.echo(f"Repaired {len(wrong)} balance(s).")
        elif wrong:
            raise click.ClickException(f"{len(wrong)} balance(s) differ from the ledger; run with --repair.")
        else:
            click.echo("Every balance matches the ledger.")

    jobs = AppGroup("jobs", help="The scheduled background jobs.")
    app.cli.add_command(jobs)

    @jobs.command("list")
    def list_jobs_command():
        """Each scheduled job: name, when it runs, queue, function."""
        for job in SCHEDULE:
            click.echo(f"{job.name:<15} {job.when:<30} {job.queue:<8} {job.func}")

    @jobs.command("run")
    @click.argument("name", type=click.Choice(list(JOBS)))
    @click.option("--at", help="Run as of this moment (ISO 8601 with a zone, e.g. 2026-03-01T02:00:00+00:00).")
    def run_job_command(name, at):
        """Run the job NAME now, in this process (not on a worker), and print what it did."""
        func = import_attribute(JOBS[name].func)
        kwargs = {}
        if at is not None:
            if "at" not in pyinspect.signature(func).parameters:
                raise click.UsageError(f"{name} does not take --at")
            try:
                moment(at)
            except ValueError as error:
                raise click.BadParameter(str(error), param_hint="--at") from error
            kwargs["at"] = at
        try:
            result = func(**kwargs)
        except IncompleteRun as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"{name}: {result}")

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Add the demo member and staff accounts (idempotent; refused in production)."""
        if current_app.config["PORTAL_ENV"] == "production":
            raise click.ClickException("seed-demo is refused when PORTAL_ENV=production.")
        created = seed_demo()
        db.session.commit()
        click.echo(f"Demo accounts created: {', '.join(created)}" if created
                   else "Demo accounts already present.")

    @app.cli.command("db-empty")
    def db_empty_command():
        """Exit 0 when the database has no members yet, 1 otherwise."""
        if not inspect(db.engine).has_table("members"):
            raise SystemExit(0)
        count = db.session.scalar(select(func.count()).select_from(Member))
        raise SystemExit(0 if count == 0 else 1)
