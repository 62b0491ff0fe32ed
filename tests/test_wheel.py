"""The desk as a wheel: built from this checkout with `python -m build`, installed in a fresh
virtualenv, migrated and served from a folder outside the checkout, on the templates, static
files and migrations the wheel ships (and none of the checkout's).

Slow-ish: 15 to 40 seconds on the 2-core machine, about half of it pip installing the
wheel's dependencies from the package index into the new virtualenv.
"""

import json
import os
import re
import shutil
import signal
import subprocess  # nosec B404 - runs the build, pip and the installed desk's own commands
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from bench.server import environment_without_desk_settings, free_port
from tests.conftest import ADMIN_URL, TEST_DATABASE

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("desk", "ivr", "verification")
# Beside the packages in the checkout, inside the `desk` package in the wheel.
DATA_FOLDERS = ("templates", "static", "migrations")
# What a checkout holds that is no part of its source, and so is not copied to build from.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "*.egg-info", "build", "dist", "instance", "__pycache__", ".*_cache"
)
DATABASE = f"{TEST_DATABASE}_wheel"
REDIS_URL = os.environ.get("DESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
STARTUP_SECONDS = 60

# Run by the installed desk's python: where it found its code and its data folders.
WHERE = """
import json
import desk, wsgi
from desk.app import shipped
print(json.dumps({
    "desk package": desk.__file__,
    "wsgi module": wsgi.__file__,
    **{f"shipped({name!r})": str(shipped(name)) for name in ("templates", "static", "migrations")},
    "app templates": wsgi.app.template_folder,
    "app static files": wsgi.app.static_folder,
    "migrations directory": wsgi.app.extensions["migrate"].directory,
}))
"""


def run(
    command: Sequence[str | Path],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: int = 300,
) -> str:
    """Run a command to completion: its output, or a failure that shows what it said."""
    result = subprocess.run(  # noqa: S603  # nosec B603 - fixed arguments, our own tools
        [str(part) for part in command],
        cwd=cwd,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} exited with {result.returncode}:\n"
        f"{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def build_wheel(work: Path) -> Path:
    """The wheel `python -m build` makes (from the sdist it makes first) of a copy of this
    checkout, so that the build leaves nothing in the checkout and finds nothing stale there."""
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    # No isolated build environment: the dev extras hold setuptools and build.
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", work / "dist", source], work)
    (wheel,) = (work / "dist").glob("*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> Path:
    """A fresh virtualenv with the wheel and its dependencies installed: its site-packages.

    The venv is made without pip, and this virtualenv's pip installs into it (pip --python),
    without byte-compiling: half the time, and the same files.
    """
    run([sys.executable, "-m", "venv", "--without-pip", venv], venv.parent)
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-compile", wheel], venv)
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], venv)
    return Path(site.strip()).resolve()


def source_files() -> dict[str, Path]:
    """Every file of the checkout the wheel must hold, by its path in site-packages."""
    files = {"wsgi.py": ROOT / "wsgi.py"}
    for package in PACKAGES:
        for module in (ROOT / package).rglob("*.py"):
            files[str(module.relative_to(ROOT))] = module
    for folder in DATA_FOLDERS:
        for path in (ROOT / folder).rglob("*"):
            relative = path.relative_to(ROOT / folder)
            if path.is_file() and not any(
                part == "__pycache__" or part.startswith(".") for part in relative.parts
            ):
                files[str(Path("desk") / folder / relative)] = path
    return files


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty database on the test server: its URL; dropped afterwards."""
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            connection.execute(sa.text(f"CREATE DATABASE {DATABASE}"))
        yield make_url(ADMIN_URL).set(database=DATABASE).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        admin.dispose()


def production_environment(database_url: str) -> dict[str, str]:
    """What a production desk is started with (see desk.core.config.check), and nothing that
    could lead the installed desk back to this checkout."""
    environ = environment_without_desk_settings()
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        environ.pop(name, None)
    environ.update(
        {
            "DESK_ENV": "production",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "wheel-secret-key",
            "DESK_TOTP_KEY": Fernet.generate_key().decode(),
            "DESK_RATE_LIMIT_STORAGE": REDIS_URL,
            "DESK_TELEPHONY": "twilio",
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": "wheel-auth-token",
            "DESK_PUBLIC_URL": "https://desk.example.org",
            "DESK_PROXY_HOPS": "0",
        }
    )
    return environ


def migrated_revision(database_url: str) -> str:
    """The Alembic revision the database is at."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return str(connection.scalar(sa.text("SELECT version_num FROM alembic_version")))
    finally:
        engine.dispose()


@contextmanager
def gunicorn(venv: Path, cwd: Path, environ: Mapping[str, str]) -> Iterator[str]:
    """The installed desk under the venv's gunicorn on 127.0.0.1: its URL; stopped after."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # A file, not a pipe: a pipe nobody reads would stall a server that logs enough to fill it.
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(  # noqa: S603  # nosec B603 - fixed arguments, the venv's gunicorn
            [str(venv / "bin" / "gunicorn"), "--workers=1", f"--bind=127.0.0.1:{port}", "wsgi:app"],
            cwd=cwd,
            env=dict(environ),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            started = time.monotonic()
            while not _answers(url + "/healthz"):
                if server.poll() is not None or time.monotonic() - started > STARTUP_SECONDS:
                    log.seek(0)
                    raise RuntimeError(f"gunicorn did not start:\n{log.read().decode()}")
                time.sleep(0.2)
            yield url
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except (requests.ConnectionError, requests.Timeout):
        return False  # not listening yet


def test_the_installed_wheel_migrates_a_database_and_serves_the_sign_in_page() -> None:
    with tempfile.TemporaryDirectory(prefix="desk-wheel-") as temporary:
        work = Path(temporary)
        venv = work / "venv"
        site = install(build_wheel(work), venv)

        missing = sorted(path for path in source_files() if not (site / path).is_file())
        assert not missing, f"not in the installed wheel (see pyproject.toml): {missing}"

        # An empty folder outside the checkout: nothing can be found from where it runs.
        elsewhere = work / "elsewhere"
        elsewhere.mkdir()
        with fresh_database() as database_url:
            environ = production_environment(database_url)
            where = json.loads(run([venv / "bin" / "python", "-c", WHERE], elsewhere, environ))
            assert {what: Path(path).resolve() for what, path in where.items()} == {
                "desk package": site / "desk" / "__init__.py",
                "wsgi module": site / "wsgi.py",
                **{f"shipped({name!r})": site / "desk" / name for name in DATA_FOLDERS},
                "app templates": site / "desk" / "templates",
                "app static files": site / "desk" / "static",
                "migrations directory": site / "desk" / "migrations",
            }

            run([venv / "bin" / "flask", "--app", "wsgi", "db", "upgrade"], elsewhere, environ)
            head = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
            assert migrated_revision(database_url) == head

            with gunicorn(venv, elsewhere, environ) as url:
                page = requests.get(url + "/sign-in", timeout=10)
                assert page.status_code == 200
                stylesheet = re.search(r'<link rel="stylesheet" href="(/static/[^"]+)"', page.text)
                assert stylesheet, "no stylesheet under /static/ on the sign-in page"
                css = requests.get(url + stylesheet[1], timeout=10)
                assert css.status_code == 200
                assert css.headers["Content-Type"].startswith("text/css")
                name = stylesheet[1].removeprefix("/static/")
                assert css.content == (ROOT / "static" / name).read_bytes()
