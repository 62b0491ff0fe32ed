"""Every demo command the README, the seed and the dev phone print runs as printed: each is
the same runnable form, and each answers (a code, sample children, a terminal call)."""

import re
import shlex
from pathlib import Path

import pyotp
from flask import Flask

from desk.dev.demo import DEMO_COMMAND

README = Path(__file__).parents[3] / "README.md"
# A demo command as the README prints it, in a code block or inline code.
PRINTED = re.compile(r"(?:DESK_ENV=\S+ )?\S*flask --app wsgi demo\b[^`\n]*")


def readme_demo_commands() -> list[str]:
    return sorted({match.group(0).strip() for match in PRINTED.finditer(README.read_text())})


def test_the_readme_prints_every_demo_command_in_the_one_runnable_form() -> None:
    printed = readme_demo_commands()
    assert len(printed) >= 5, printed
    for command in printed:
        assert command.startswith(f"{DEMO_COMMAND} "), command


def test_each_demo_command_in_the_readme_runs(app: Flask) -> None:
    app.config["DESK_ENV"] = "development"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    for command in readme_demo_commands():
        arguments = shlex.split(command.removeprefix(DEMO_COMMAND))
        keys = ""
        if arguments[0] == "call":
            code = pyotp.TOTP("JBSWY3DPEHPK3PXPJBSWY3DP").now()
            keys = f"40000001\n739182\n{code}\n" + "\n" * 6
        result = runner.invoke(args=["demo", *arguments], input=keys)
        assert result.exit_code == 0, (command, result.output)
        assert result.output.strip(), command


def test_demo_children_prints_a_search_of_each_form_that_finds_its_child(app: Flask) -> None:
    app.config["DESK_ENV"] = "development"
    runner = app.test_cli_runner()
    runner.invoke(args=["demo"])
    printed = runner.invoke(args=["demo", "children"]).output
    lines = dict(line.split(": ", 1) for line in printed.splitlines())
    assert re.fullmatch(r"\d{10} \(.+\)", lines["ContactPoint number"])
    family, born = lines["Family name and date of birth"].split(", ")
    assert family and re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", born)
    assert len(lines["Family name, given name and postcode"].split(", ")) == 3
    assert any(what.startswith("A shielded child of ") for what in lines)
    assert re.fullmatch(
        r"ContactPoint number \d{10}", lines["A child for a Rochdale officer to shield"]
    )


def test_demo_children_before_the_seed_says_how_to_seed(app: Flask) -> None:
    app.config["DESK_ENV"] = "development"
    result = app.test_cli_runner().invoke(args=["demo", "children"])
    assert result.exit_code != 0
    assert DEMO_COMMAND in result.output


def test_the_seed_and_the_dev_phone_print_the_same_runnable_form(app: Flask) -> None:
    app.config["DESK_ENV"] = "development"
    seeded = app.test_cli_runner().invoke(args=["demo"]).output
    assert f"{DEMO_COMMAND} code 40000001" in seeded
    assert f"{DEMO_COMMAND} children" in seeded
    assert f"<code>{DEMO_COMMAND} code 40000001</code>" in app.test_client().get("/devphone").text
