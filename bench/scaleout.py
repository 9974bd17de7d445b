"""The scale-out run: two gunicorn instances of the portal behind one nginx, two RQ workers and
`rq cron`, one PostgreSQL database and one Redis database; then the web benchmark through nginx.

    .venv/bin/python bench/scaleout.py --database-url postgresql://postgres@127.0.0.1/bench_scale_web \\
        --redis-url redis://127.0.0.1:6379/12 [--ports 5301 5302 --listen 5380] [-- web.py's options]
    .venv/bin/python bench/scaleout.py ... --hold    # keep it all up until Ctrl-C (or SIGTERM)

The database is migrated first (`flask db upgrade`); give it a copy of bench/seed.py's data for
the web benchmark's logins (it writes: logins, the staff user's TOTP). Each instance runs
`gunicorn -c gunicorn.conf.py wsgi:app` with GUNICORN_BIND set to its port (WEB_CONCURRENCY and
GUNICORN_THREADS pass through), PORTAL_PROXY_HOPS=1 (nginx is the one proxy), PORTAL_ENV=production
as bench/web.py serves the portal alone, the same SECRET_KEY and instance directory;
deploy/nginx-scaleout.conf is filled in and run as a foreground nginx with its files in a
temporary directory (no root). Emails go to a local SMTP sink that counts them.

Then the web benchmark through nginx: `python -m bench.web --target <nginx> --hello-url <hello>`
(with the options given after `--`), hello being bench/hello.py under the same front (two
instances, the same template on the next port). Until bench/web.py is there, or with `--wrk`, wrk
loads the login page through nginx and through one instance alone, for comparison. Every process
started here is stopped by its process group at the end; their logs are printed when one fails
to start.

tests/test_scaleout.py starts the same Cluster to prove that sessions, CSRF, rate limits and the
outbox work across instances.
"""

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import BIN, CountingSink, start_process, start_workers, stop_processes, wait_for_http  # noqa: E402

NGINX_TEMPLATE = ROOT / "deploy" / "nginx-scaleout.conf"
WEB_BENCH = ROOT / "bench" / "web.py"  # another script's: run with --target when it is there


def find_nginx():
    """The nginx binary (Debian puts it in /usr/sbin, which a user's PATH may lack), or None."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin:/sbin")


class Cluster:
    """The portal on several machines, on one: gunicorn instances on `ports`, nginx on `listen`
    in front of them (nginx=False: none), `workers` RQ workers and, with cron=True, `rq cron`.

    `env` is the environment every process starts with (SECRET_KEY, SMTP_*, PORTAL_* settings);
    the cluster adds the database, Redis, the bind address and PORTAL_PROXY_HOPS=1. The database
    must be migrated already. Use as a context manager: everything is stopped on leaving it.
    """

    def __init__(self, database_url, redis_url, env, ports, listen=None, workers=2, cron=True, nginx=True,
                 app="wsgi:app", health="/healthz"):
        self.directory = Path(tempfile.mkdtemp(prefix="portal-scaleout-"))
        self.instances = [f"http://127.0.0.1:{port}" for port in ports]
        self.url = f"http://127.0.0.1:{listen}" if nginx else None
        self.ports, self.listen, self.workers, self.cron, self.nginx = ports, listen, workers, cron, nginx
        self.app, self.health = app, health
        self.env = {**env, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "PORTAL_PROXY_HOPS": "1",
                    "PYTHONPATH": str(ROOT)}
        self.env.setdefault("PORTAL_BASE_URL", self.url or self.instances[0])  # production wants its public one
        self.env.setdefault("PORTAL_INSTANCE_DIR", str(self.directory / "instance"))  # shared: uploads
        self.processes = []

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        web = [self._start(f"web-{port}", [BIN / "gunicorn", "-c", "gunicorn.conf.py", self.app],
                           GUNICORN_BIND=f"127.0.0.1:{port}") for port in self.ports]
        self.processes += start_workers(self.workers, self.env, logs=self.directory)
        if self.cron:
            self._start("cron", [BIN / "rq", "cron", "jobs/cron.py", "--url", self.env["REDIS_URL"]])
        if self.nginx:
            self._start("nginx", [self.nginx_binary(), "-p", self.directory, "-e", "stderr",
                                  "-c", self.write_nginx_config()])
        try:
            for url, process in zip(self.instances, web, strict=True):
                wait_for_http(url + self.health, [process])
            if self.url:
                wait_for_http(self.url + self.health, self.processes[-1:])
            ended = [process.args[:3] for process in self.processes if process.poll() is not None]
            if ended:  # a worker or rq cron that could not start
                raise RuntimeError(f"ended at the start: {ended}")
        except (RuntimeError, TimeoutError) as error:
            raise RuntimeError(f"{error}\n{self.logs()}") from None

    def _start(self, name, command, **env):
        process = start_process(command, {**self.env, **env}, log=self.directory / f"{name}.log")
        self.processes.append(process)
        return process

    @staticmethod
    def nginx_binary():
        binary = find_nginx()
        if binary is None:
            raise RuntimeError("no nginx: run scripts/ensure-nginx.sh (Debian's nginx-light)")
        return binary

    def write_nginx_config(self):
        """deploy/nginx-scaleout.conf with this run's paths and ports."""
        values = {"PREFIX": str(self.directory), "LISTEN": f"127.0.0.1:{self.listen}",
                  "WEB_A": f"127.0.0.1:{self.ports[0]}", "WEB_B": f"127.0.0.1:{self.ports[1]}"}
        text = re.sub(r"@(\w+)@", lambda match: values[match.group(1)], NGINX_TEMPLATE.read_text())
        path = self.directory / "nginx.conf"
        path.write_text(text)
        return path

    def logs(self, lines=20):
        """The last lines of every process's log."""
        out = []
        for log in sorted(self.directory.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {log.name}\n" + "\n".join(tail))
        return "\n".join(out)

    def stop(self):
        stop_processes(self.processes[::-1])  # nginx first, the web instances last
        self.processes = []
        shutil.rmtree(self.directory, ignore_errors=True)


def migrate(env):
    """`flask db upgrade` on the run's database (its output only when it fails)."""
    run = subprocess.run([BIN / "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, capture_output=True,
                         text=True)
    if run.returncode:
        sys.exit(f"flask db upgrade failed:\n{run.stdout}{run.stderr}")


def wrk(url, connections, seconds):
    """requests/s and p50/p99 of wrk on `url` (Debian's wrk; scripts/ensure-bench-tools.sh installs it)."""
    run = subprocess.run(["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", run.stdout).group(1)
    p50, p99 = (re.search(rf"\s{p}%\s+(\S+)", run.stdout).group(1) for p in ("50", "99"))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", run.stdout)
    return f"{float(rate):.0f} requests/s, p50 {p50}, p99 {p99}" + (f" ({errors.group(0)})" if errors else "")


def web_bench(cluster, args, web_args):
    """bench/web.py --target nginx's address, with hello behind a front of its own alike (two instances
    of bench/hello.py under gunicorn.conf.py, deploy/nginx-scaleout.conf on the next port)."""
    hello_ports = [port + 2 for port in args.ports]
    with Cluster(args.database_url, args.redis_url, cluster.env, hello_ports, args.listen + 1, workers=0,
                 cron=False, app="bench.hello:app", health="/") as hello:
        command = [sys.executable, "-m", "bench.web", "--target", cluster.url, "--hello-url", hello.url,
                   "--database-url", args.database_url, "--redis-url", args.redis_url, *web_args]
        print(" ".join(command[1:]), flush=True)
        return subprocess.run(command, cwd=ROOT, env=cluster.env).returncode


def wrk_login(cluster, connections, seconds):
    """Until bench/web.py is there (or with --wrk): wrk on the login page, through nginx and one instance alone."""
    for name, url in (("nginx, two instances", cluster.url), ("one instance alone", cluster.instances[0])):
        print(f"{name}: GET /login, {connections} connections, {seconds} s: "
              f"{wrk(url + '/login', connections, seconds)}", flush=True)
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    web_args = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="PostgreSQL (DATABASE_URL)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"), help="Redis (REDIS_URL)")
    parser.add_argument("--ports", type=int, nargs=2, default=[5301, 5302],
                        help="the two portal instances (hello's, for bench/web.py: these + 2)")
    parser.add_argument("--listen", type=int, default=5380, help="nginx's port (hello's: the next)")
    parser.add_argument("--hold", action="store_true", help="no benchmark: keep everything up until Ctrl-C")
    parser.add_argument("--wrk", action="store_true", help="wrk on the login page even when bench/web.py is there")
    parser.add_argument("--connections", type=int, default=10, help="--wrk's connections")
    parser.add_argument("--seconds", type=int, default=10, help="--wrk's duration")
    args = parser.parse_args(argv)
    if not (args.database_url and args.redis_url):
        parser.error("give --database-url and --redis-url (or DATABASE_URL and REDIS_URL)")
    # SIGTERM (and SIGINT, which a shell's background job ignores) end the run: the cluster is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sink = CountingSink()
    sink.start()
    # As bench/web.py serves the portal alone: production settings (secure cookies, which this
    # benchmark's clients send over http anyway; a public address in links).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SMTP_", "GUNICORN_BIND")) and k not in ("PORTAL_PROXY_HOPS", "PORTAL_BASE_URL")}
    env.update({"PORTAL_ENV": "production", "PORTAL_BASE_URL": "https://members.bench.example",
                "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
                "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.port)})
    migrate({**env, "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url})
    try:
        with Cluster(args.database_url, args.redis_url, env, args.ports, args.listen) as cluster:
            print(f"up: nginx {cluster.url} → {' and '.join(cluster.instances)}; {cluster.workers} RQ workers, "
                  f"rq cron; logs in {cluster.directory}", flush=True)
            if args.hold:
                try:
                    cluster.processes[0].wait()
                except KeyboardInterrupt:
                    pass
                return 0  # Ctrl-C or SIGTERM: stopped on leaving the block
            if WEB_BENCH.exists() and not args.wrk:
                return web_bench(cluster, args, web_args)
            if not WEB_BENCH.exists():
                print("bench/web.py is not there yet: this run calls `python -m bench.web --target <nginx> "
                      "--hello-url <hello behind nginx> --database-url …` once it is; meanwhile wrk on /login.")
            return wrk_login(cluster, args.connections, args.seconds)
    finally:
        print(f"emails received by the SMTP sink: {sink.count}")
        sink.stop()


if __name__ == "__main__":
    sys.exit(main())
