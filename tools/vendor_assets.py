"""Copy the browser assets the desk uses out of node_modules into the repository.

`make vendor` runs `npm ci` (the exact versions of package-lock.json) and then this. The copies
are committed: nothing is fetched from npm or a CDN when the desk runs or its tests do. Each
package's licence travels with its files (its LICENSE, or the package.json that declares it
where the package ships no LICENSE file), and VERSION.txt says which version each came from.

Only built files are copied: GOV.UK Frontend's fonts (GDS Transport, reserved for GOV.UK) and
images (the crown) are left out, as the desk is not a GOV.UK service; static/desk.css sets a
system font stack over the components.
"""

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "node_modules"

# package: (folder it is copied to, the files it ships, as paths in the package)
ASSETS: dict[str, tuple[Path, tuple[str, ...]]] = {
    # The operator's softphone in the console; since 2.0 the Voice SDK is on npm only.
    "@twilio/voice-sdk": (
        ROOT / "static/vendor/twilio_voice",
        ("dist/twilio.min.js", "LICENSE.md"),
    ),
    # The components every page is built from (templates/_govuk.html renders them). The ES
    # module is loaded by static/govuk.js, which also sets the class its CSS waits for.
    "govuk-frontend": (
        ROOT / "static/vendor/govuk_frontend",
        (
            "dist/govuk/govuk-frontend.min.css",
            "dist/govuk/govuk-frontend.min.js",
            "package.json",
        ),
    ),
    # The Ministry of Justice's case-working patterns on top: sub-navigation, badges, timeline
    # (CSS only: none of the three needs its script).
    "@ministryofjustice/frontend": (
        ROOT / "static/vendor/moj_frontend",
        ("moj/moj-frontend.min.css", "package.json"),
    ),
    # Injected by the browser tests to check every page for WCAG 2.2 A and AA; never served.
    "axe-core": (ROOT / "tests/browser/vendor/axe-core", ("axe.min.js", "LICENSE")),
}


def version_of(package: str) -> str:
    return str(json.loads((MODULES / package / "package.json").read_text())["version"])


def main() -> int:
    if not MODULES.is_dir():
        print("node_modules is missing: run `npm ci` first (or `make vendor`)", file=sys.stderr)
        return 1
    for package, (target, files) in ASSETS.items():
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for name in files:
            shutil.copy2(MODULES / package / name, target / Path(name).name)
        (target / "VERSION.txt").write_text(f"{package} {version_of(package)} (from npm)\n")
        print(f"{package} {version_of(package)} -> {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
