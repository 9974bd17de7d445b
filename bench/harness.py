"""What the bench scripts share: an SMTP sink that only counts, free ports, and the portal's
processes (RQ workers, gunicorn, rq cron, nginx) started in their own process groups and stopped
by those groups' ids only.

    from bench.harness import CountingSink, start_process, stop_processes
"""

import asyncio
import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin: gunicorn and rq are installed next to python


class CountingSink:
    """A bare SMTP server on loopback that accepts every message, counts it and keeps nothing.

    Written for the bench rather than aiosmtpd: aiosmtpd parses and logs every command, and on a
    2-core machine the sink's own CPU would be counted against the workers it measures. This one
    speaks just enough SMTP for smtplib (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)."""

    def __init__(self):
        self.count, self.connections, self.last = 0, 0, None
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        started = threading.Event()
        self.loop.call_soon_threadsafe(started.set)
        self.thread.start()
        started.wait(10)

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def _serve(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", self.port))
        self.loop.run_forever()

    async def _session(self, reader, writer):
        self.connections += 1
        writer.write(b"220 bench sink\r\n")
        try:
            while line := await reader.readline():
                verb = line[:4].upper()
                if verb == b"EHLO":
                    writer.write(b"250-bench\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 go on\r\n")
                    await reader.readuntil(b"\r\n.\r\n")
                    self.count += 1
                    self.last = time.monotonic()
                    writer.write(b"250 OK\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 bye\r\n")
                    break
                else:  # HELO, MAIL, RCPT, RSET, NOOP
                    writer.write(b"250 OK\r\n")
                await writer.drain()
        finally:
            writer.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_process(command, env, log=None):
    """Start `command` in the repository, in a process group of its own (so that stopping it stops
    what it forked: gunicorn's workers, rq's work horses). Output goes to `log` (a path) or nowhere."""
    output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (the child keeps it open)
    try:
        return subprocess.Popen([str(part) for part in command], cwd=ROOT, env=env, stdout=output,
                                stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        if log:
            output.close()


def start_workers(count, env, worker_class="simple", logs=None):
    """`count` RQ workers (`python -m jobs.worker`), each running its jobs as `worker_class` says;
    their output in `logs`/worker-N.log, or nowhere."""
    command = [sys.executable, "-m", "jobs.worker", "--worker-class", worker_class]
    return [start_process(command, env, log=logs and Path(logs) / f"worker-{n}.log") for n in range(1, count + 1)]


def stop_processes(processes, timeout=30):
    """A warm shutdown of each process group (SIGTERM: an RQ worker ends after its job, gunicorn
    after its requests, nginx at once), then SIGKILL for any group still there after `timeout`."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def http_status(url):
    """The status of a GET of `url` (http only), or None when nothing answers."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=5)
    try:
        connection.request("GET", parts.path or "/")
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def wait_for_http(url, processes=(), timeout=60):
    """Wait until `url` answers 200 (a process of `processes` that exits meanwhile is an error)."""
    deadline = time.monotonic() + timeout
    while True:
        if http_status(url) == 200:
            return
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[:3]} exited with {process.returncode} before {url} answered")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer 200 within {timeout} s")
        time.sleep(0.2)
