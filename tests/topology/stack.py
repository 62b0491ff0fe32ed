"""Production's topology on this machine: nginx with TLS in front of two gunicorn servers.

nginx (Debian's package) runs as this user's own process with a prefix in a temporary folder
and deploy/nginx-site.conf.template filled in for free high ports and a certificate made for
the test; each gunicorn runs deploy/gunicorn.conf.py, its port and worker count given by
GUNICORN_CMD_ARGS as a server's unit could. Both servers share one PostgreSQL database and one
Redis database, as two production servers would, and each writes its JSON log to a file.
"""

import os
import pwd
import re
import shutil
import signal
import subprocess  # nosec B404 - starts Debian's nginx and this checkout's own gunicorn
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from redis import Redis

from bench.server import BIN, ROOT, free_port
from tests.load.server import server_environment
from tests.topology.tls import self_signed

NGINX = Path(os.environ.get("DESK_TEST_NGINX", "/usr/sbin/nginx"))
DEPLOY = ROOT / "deploy"
SITE_TEMPLATE = DEPLOY / "nginx-site.conf.template"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
REDIS_URL = os.environ.get("DESK_TEST_TOPOLOGY_REDIS_URL", "redis://127.0.0.1:6379/14")
STARTUP_SECONDS = 60
PLACEHOLDER = re.compile(r"@[A-Z_]+@")
# Low enough for a test to go over it; four limited webhooks a call stay within it.
IVR_LIMIT = 8


@dataclass(frozen=True)
class Server:
    """One gunicorn behind the proxy: its own address (for /metrics) and its log file."""

    url: str
    log: Path

    def lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()


@dataclass(frozen=True)
class Stack:
    """The public https:// URL, the plain-HTTP one, the CA file to trust, and the servers."""

    public_url: str
    http_url: str
    certificate: Path
    servers: tuple[Server, ...]
    nginx_log: Path


def site(values: Mapping[str, str]) -> str:
    """deploy/nginx-site.conf.template with every @PLACEHOLDER@ filled in."""
    text = SITE_TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    left = set(PLACEHOLDER.findall(text))
    if left:
        raise ValueError(f"placeholders left unfilled: {sorted(left)}")
    return text


def nginx_conf(prefix: Path, site_file: Path) -> str:
    """A main nginx.conf of the test's own: files in `prefix`, the desk's site included."""
    # As root (CI), nginx's workers would run as nobody: give them a user that may read.
    user = "" if os.geteuid() else f"user {pwd.getpwuid(os.getuid()).pw_name};"
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / 'tmp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""
{user}
worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 512; }}
http {{
    access_log {prefix / "access.log"};
{temp}
    include {site_file};
}}
"""


def nginx_test(prefix: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on the configuration in `prefix`."""
    return subprocess.run(  # noqa: S603  # nosec B603 - fixed arguments, Debian's nginx
        [str(NGINX), "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def write_nginx(prefix: Path, values: Mapping[str, str]) -> None:
    """The site and the main configuration, written into `prefix`."""
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    (prefix / "desk.conf").write_text(site(values))
    (prefix / "nginx.conf").write_text(nginx_conf(prefix, prefix / "desk.conf"))


def nginx_command(prefix: Path) -> list[str]:
    return [str(NGINX), "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"]


def gunicorn_environment(
    environ: Mapping[str, str], port: int, workers: int, log: Path
) -> dict[str, str]:
    """A server's settings: its port and workers as GUNICORN_CMD_ARGS, its metrics' folder."""
    return {
        **environ,
        "GUNICORN_CMD_ARGS": f"--bind=127.0.0.1:{port} --workers={workers}",
        "PROMETHEUS_MULTIPROC_DIR": str(log.with_suffix(".metrics")),
    }


def environment(uri: str, public_url: str) -> dict[str, str]:
    """The load tests' settings, with production's face: https://, one proxy, Redis.

    Still a development desk playing Twilio's part (DESK_TELEPHONY=local): a production desk
    would ring real phones through Twilio's REST API when an operator takes a call.
    """
    return {
        **server_environment(uri),
        "DESK_PUBLIC_URL": public_url,
        "DESK_PROXY_HOPS": "1",
        "DESK_RATE_LIMIT_STORAGE": REDIS_URL,
        "DESK_IVR_RATE_LIMIT": f"{IVR_LIMIT}/minute",
    }


@contextmanager
def production(uri: str, servers: int = 2, workers: int = 2) -> Iterator[Stack]:
    """nginx on https://localhost:PORT before `servers` gunicorns on the database at `uri`."""
    Redis.from_url(REDIS_URL).flushdb()
    with ExitStack() as stack:
        folder = Path(tempfile.mkdtemp(prefix="desk-topology-"))
        stack.callback(shutil.rmtree, folder, ignore_errors=True)
        os.chmod(folder, 0o755)  # noqa: S103  # nosec B103 - nginx's workers read it, no secret
        certificate, key = self_signed(folder)
        https_port, http_port = free_port(), free_port()
        public_url = f"https://localhost:{https_port}"
        environ = environment(uri, public_url)
        ports = [free_port() for _ in range(servers)]
        started = [
            Server(f"http://127.0.0.1:{port}", folder / f"server-{n}.log")
            for n, port in enumerate(ports)
        ]
        # Both servers start at once, and stop at once.
        stack.enter_context(
            _running(
                [
                    (
                        [str(BIN / "gunicorn"), f"--config={GUNICORN_CONF}", "wsgi:app"],
                        gunicorn_environment(environ, port, workers, server.log),
                        server.log,
                        server.url + "/healthz",
                    )
                    for port, server in zip(ports, started, strict=True)
                ],
                ca=None,
                stop=signal.SIGINT,  # quick: whoever started them is done with them
            )
        )
        write_nginx(
            folder,
            {
                "SERVER_NAME": "localhost",
                "PUBLIC_URL": public_url,
                "HTTP_LISTEN": f"127.0.0.1:{http_port}",
                "HTTPS_LISTEN": f"127.0.0.1:{https_port}",
                "CERTIFICATE": str(certificate),
                "CERTIFICATE_KEY": str(key),
                "ACCESS_LOG": str(folder / "desk.access.log"),
                "APP_SERVERS": "\n    ".join(
                    f"server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in ports
                ),
            },
        )
        checked = nginx_test(folder)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t failed:\n{checked.stderr}")
        stack.enter_context(
            _running(
                [
                    (
                        nginx_command(folder),
                        os.environ,
                        folder / "error.log",
                        public_url + "/healthz",
                    )
                ],
                ca=certificate,
                stop=signal.SIGQUIT,  # graceful: the requests under way finish
            )
        )
        yield Stack(
            public_url,
            f"http://localhost:{http_port}",
            certificate,
            tuple(started),
            folder / "desk.access.log",
        )


Command = tuple[list[str], Mapping[str, str], Path, str]


@contextmanager
def _running(commands: list[Command], ca: Path | None, stop: signal.Signals) -> Iterator[None]:
    """Run each (command, environment, log, health URL) until the block ends: all started at
    once, and the block entered once every health URL answers 200; all stopped at once."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for command, environ, log, _ in commands:
            with log.open("ab") as out:
                processes.append(
                    subprocess.Popen(  # noqa: S603  # nosec B603 - the caller's fixed arguments
                        command, cwd=ROOT, env=dict(environ), stdout=subprocess.DEVNULL, stderr=out
                    )
                )
        began = time.monotonic()
        for process, (command, _, log, health_url) in zip(processes, commands, strict=True):
            while True:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{command[0]} exited {process.returncode}:\n{log.read_text()}"
                    )
                try:
                    if requests.get(health_url, timeout=2, verify=str(ca) if ca else True).ok:
                        break
                except requests.RequestException:
                    pass  # not listening yet
                if time.monotonic() - began > STARTUP_SECONDS:
                    raise RuntimeError(f"{command[0]} did not start in {STARTUP_SECONDS} s")
                time.sleep(0.2)
        yield
    finally:
        for process in processes:
            process.send_signal(stop)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
