"""`make lint`'s dependency audit fails on a known vulnerability and never passes unchecked
packages off as audited."""

import json
import subprocess
from typing import Any

import pytest

from tools import audit_dependencies

DESK = {"name": "mediated-access-desk", "skip_reason": "distribution marked as editable"}
FLASK = {"name": "flask", "version": "3.1.3", "vulns": []}
UNREACHED = {
    "name": "jinja2",
    "skip_reason": "Dependency not found on PyPI and could not be audited: jinja2 (3.1.6)",
}
VULNERABLE = {
    "name": "ecdsa",
    "version": "0.19.1",
    "vulns": [{"id": "GHSA-wj6h-64fc-37mp", "fix_versions": [], "aliases": [], "description": ""}],
}


def audit(
    monkeypatch: pytest.MonkeyPatch, *dependencies: dict[str, Any], required: bool = False
) -> int:
    """Run the audit as if pip-audit had reported these dependencies."""
    report = json.dumps({"dependencies": [DESK, *dependencies], "fixes": []})
    found = any(d.get("vulns") for d in dependencies)

    def pip_audit(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args, int(found), report, "")

    monkeypatch.setattr(audit_dependencies.subprocess, "run", pip_audit)
    if required:
        monkeypatch.setenv("DESK_REQUIRE_AUDIT", "1")
    return audit_dependencies.main()


def test_a_known_vulnerability_fails_the_audit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert audit(monkeypatch, FLASK, VULNERABLE) == 1
    out = capsys.readouterr().out
    assert "ecdsa 0.19.1: GHSA-wj6h-64fc-37mp (no fix yet)" in out
    assert "2 of 2 installed packages checked" in out


def test_packages_that_could_not_be_checked_are_named_not_passed_off_as_audited(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert audit(monkeypatch, UNREACHED) == 0
    said = capsys.readouterr()
    assert "0 of 1 installed packages checked" in said.out
    assert "NO AUDIT: 1 of 1 packages could not be checked" in said.err
    assert "jinja2" in said.err and "mediated-access-desk" not in said.err
    assert audit(monkeypatch, FLASK, UNREACHED) == 0
    assert "NOT AUDITED: 1 of 2 packages" in capsys.readouterr().err


def test_unchecked_packages_fail_the_audit_where_it_is_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert audit(monkeypatch, FLASK, UNREACHED, required=True) == 1
    assert audit(monkeypatch, FLASK, required=True) == 0
