"""deploy/: each file checked here, or used by the topology test (tests/topology).

The environment template is made from the settings table, so a setting added to
desk/core/settings.py and not to the template fails here; the systemd units are checked by
systemd's own verifier, pointed at this checkout's virtualenv; gunicorn checks its own
configuration as it would load it; nginx's site is run by the topology test and tested here.
"""

import importlib.util
import re
import shutil
import subprocess  # nosec B404 - runs systemd-analyze, gunicorn, flask and nginx -t
import tempfile
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner
from flask import Flask

from bench.server import BIN, ROOT
from desk.core.settings import SETTINGS
from tests.load.server import server_environment
from tests.topology import stack
from tests.topology.tls import self_signed
from tools import environment_template

DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
INSTALLED_BIN = "/opt/desk/venv/bin/"


def run(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # nosec B603 - fixed arguments
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_environment_template_lists_every_setting_as_the_table_has_it() -> None:
    template = (DEPLOY / "desk.env.template").read_text()
    assert template == environment_template.render(), (
        "deploy/desk.env.template is out of date: run python tools/environment_template.py"
    )
    named = re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", template, flags=re.MULTILINE)
    assert sorted(named) == sorted(s.name for s in SETTINGS)
    # The owner's URL is for the migrations alone: present, but not given to the servers.
    assert "\nDESK_MIGRATE_DATABASE_URL=" not in template
    assert "# DESK_MIGRATE_DATABASE_URL=" in template


def gunicorn_conf() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gunicorn_conf", DEPLOY / "gunicorn.conf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_runs_sync_workers_that_give_up_well_inside_twilios_15_seconds() -> None:
    conf = gunicorn_conf()
    assert conf.worker_class == "sync" and conf.workers == 4
    assert conf.timeout <= 10
    assert callable(conf.on_starting) and callable(conf.child_exit)
    checked = run(
        [
            str(BIN / "gunicorn"),
            f"--config={DEPLOY / 'gunicorn.conf.py'}",
            "--check-config",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=server_environment("sqlite://"),
    )
    assert checked.returncode == 0, checked.stderr


def test_the_multiprocess_folder_is_made_afresh_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"old")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    gunicorn_conf().on_starting(None)
    assert folder.is_dir() and not any(folder.iterdir())


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_the_systemd_units_pass_systemds_own_verifier() -> None:
    with tempfile.TemporaryDirectory() as folder:
        # Their commands, as this checkout's virtualenv has them (the verifier checks they exist).
        for unit in UNITS.iterdir():
            text = unit.read_text().replace(INSTALLED_BIN, f"{BIN}/")
            (Path(folder) / unit.name).write_text(text)
        verified = run(
            ["systemd-analyze", "verify", *sorted(str(p) for p in Path(folder).iterdir())]
        )
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr == ""


def exec_start(unit: str) -> list[str]:
    [line] = re.findall(r"^ExecStart=(.+)$", (UNITS / unit).read_text(), flags=re.MULTILINE)
    return str(line).split()


def test_the_app_unit_runs_gunicorn_with_the_deployed_configuration() -> None:
    assert exec_start("desk.service") == [
        f"{INSTALLED_BIN}gunicorn",
        "--config",
        "/etc/desk/gunicorn.conf.py",
        "wsgi:app",
    ]
    unit = (UNITS / "desk.service").read_text()
    assert "EnvironmentFile=/etc/desk/desk.env" in unit
    assert "Environment=PROMETHEUS_MULTIPROC_DIR=/run/desk/metrics" in unit


def test_the_jobs_timer_runs_the_desks_own_command(app: Flask) -> None:
    command = exec_start("desk-jobs.service")
    assert command[:3] == [f"{INSTALLED_BIN}flask", "--app", "wsgi"]
    timer = (UNITS / "desk-jobs.timer").read_text()
    assert "Unit=desk-jobs.service" in timer and "OnCalendar=" in timer
    group, *rest = command[3:]
    if group not in app.cli.commands:
        pytest.skip(f"`flask {' '.join(command[3:])}` is not on this branch yet (issue 17, item 6)")
    result = CliRunner().invoke(app.cli, [group, *rest, "--help"])
    assert result.exit_code == 0, result.output


def test_the_nginx_site_is_valid_with_its_placeholders_filled(tmp_path: Path) -> None:
    if not stack.NGINX.exists():
        pytest.skip(f"no nginx at {stack.NGINX}")
    certificate, key = self_signed(tmp_path)
    stack.write_nginx(
        tmp_path,
        {
            "SERVER_NAME": "desk.example.org",
            "PUBLIC_URL": "https://desk.example.org",
            "HTTP_LISTEN": "127.0.0.1:18080",
            "HTTPS_LISTEN": "127.0.0.1:18443",
            "CERTIFICATE": str(certificate),
            "CERTIFICATE_KEY": str(key),
            "ACCESS_LOG": str(tmp_path / "desk.access.log"),
            "APP_SERVERS": "server 127.0.0.1:8000;",
        },
    )
    checked = stack.nginx_test(tmp_path)
    assert checked.returncode == 0, checked.stderr
    with pytest.raises(ValueError, match="@APP_SERVERS@"):
        stack.site({"SERVER_NAME": "desk.example.org"})
