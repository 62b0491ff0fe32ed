"""The browser assets in the repository are the versions package.json pins, licence included."""

import json
from pathlib import Path

import pytest

from tools.vendor_assets import ASSETS

ROOT = Path(__file__).resolve().parent.parent
PINNED = json.loads((ROOT / "package.json").read_text())["devDependencies"]


@pytest.mark.parametrize("package", sorted(ASSETS))
def test_each_vendored_package_is_the_pinned_version_with_its_licence(package: str) -> None:
    target, files = ASSETS[package]
    assert (target / "VERSION.txt").read_text() == f"{package} {PINNED[package]} (from npm)\n"
    for name in files:
        assert (target / Path(name).name).stat().st_size > 0
    shipped_licence = any("LICENSE" in Path(name).name for name in files)
    declared_licence = "package.json" in files and json.loads(
        (target / "package.json").read_text()
    ).get("license")
    assert shipped_licence or declared_licence


def test_every_pinned_package_is_vendored() -> None:
    assert set(PINNED) == set(ASSETS)
