"""Known vulnerabilities in the installed packages (pip-audit), and plainly what went unchecked.

pip-audit asks PyPI for the advisories of each installed version. Where PyPI cannot answer (a
mirror without its per-version JSON, a closed network) it skips the package, prints "No known
vulnerabilities found" and exits 0: an audit that checked nothing reads as a pass. This runs
pip-audit, fails on any vulnerability found, and says how many packages were really checked.
Set DESK_REQUIRE_AUDIT=1 (where the advisories are reachable) to fail when any went unchecked.

Usage: python tools/audit_dependencies.py   (run by `make lint`)
"""

import json
import os
import subprocess  # nosec B404 - runs this environment's own pip-audit, fixed arguments
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).parent / "pip-audit"


def main() -> int:
    """Audit, report, and exit 1 on a vulnerability (or on anything unchecked, if required)."""
    done = subprocess.run(  # noqa: S603  # nosec B603 - fixed arguments
        [str(PIP_AUDIT), "--skip-editable", "--progress-spinner", "off", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in {0, 1} or not done.stdout.strip():
        print(done.stderr, file=sys.stderr)
        return done.returncode or 1
    # The desk itself, installed editable, is ours to check, not PyPI's.
    dependencies = [
        d
        for d in json.loads(done.stdout)["dependencies"]
        if not d.get("skip_reason", "").startswith("distribution marked as editable")
    ]
    checked = [d for d in dependencies if "skip_reason" not in d]
    unchecked = [d for d in dependencies if "skip_reason" in d]
    vulnerable = [d for d in checked if d["vulns"]]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            versions = ", ".join(vuln["fix_versions"])
            fixed = f"fixed in {versions}" if versions else "no fix yet"
            print(f"{dependency['name']} {dependency['version']}: {vuln['id']} ({fixed})")
    print(
        f"pip-audit: {len(checked)} of {len(dependencies)} installed packages checked for known "
        f"vulnerabilities; {len(vulnerable)} vulnerable."
    )
    if unchecked:
        reasons = sorted({d["skip_reason"].split(":")[0] for d in unchecked})
        headline = "NO AUDIT" if not checked else "NOT AUDITED"
        print(
            f"{headline}: {len(unchecked)} of {len(dependencies)} packages could not be checked "
            f"({'; '.join(reasons)}): {', '.join(d['name'] for d in unchecked)}. Known "
            "vulnerabilities in them are not ruled out; see docs/security.md (Dependencies).",
            file=sys.stderr,
        )
    if vulnerable:
        return 1
    return 1 if unchecked and os.environ.get("DESK_REQUIRE_AUDIT") == "1" else 0


if __name__ == "__main__":
    sys.exit(main())
