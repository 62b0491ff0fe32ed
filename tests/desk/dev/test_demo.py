"""The demo commands: seed a development desk, and phone it from the terminal."""

from flask import Flask
from sqlalchemy import func, select

from desk.core.extensions import db
from desk.staff import accounts
from verification.models import Practitioner


def test_demo_commands_refuse_outside_development(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0
    assert "only with DESK_ENV=development" in result.output


def test_seeding_twice_leaves_one_demo_practitioner(app: Flask) -> None:
    app.config["DESK_ENV"] = "development"
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
    assert "PIN 739182" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Practitioner)) == 1


def test_a_terminal_call_goes_through_the_ivr_into_the_queue(app: Flask) -> None:
    app.config["DESK_ENV"] = "development"
    runner = app.test_cli_runner()
    runner.invoke(args=["demo"])
    code = runner.invoke(args=["demo", "code", "40000001"]).output.strip()
    result = runner.invoke(args=["demo", "call"], input=f"40000001\n739182\n{code}#\n")
    assert result.exit_code == 0, result.output
    assert "desk: Thank you, Sam. Please hold for the next operator." in result.output
    assert "desk: You are next in the queue." in result.output


def test_a_terminal_call_with_wrong_details_is_asked_again(app: Flask) -> None:
    app.config["DESK_ENV"] = "development"
    runner = app.test_cli_runner()
    runner.invoke(args=["demo"])
    result = runner.invoke(args=["demo", "call"], input="40000001\n111999\n000000\n")
    assert "Sorry, we could not verify those details." in result.output


def test_the_demo_seeds_an_officer_and_a_manager_and_prints_their_credentials(
    app: Flask,
) -> None:
    app.config["DESK_ENV"] = "development"
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Demo la_officer officer (Rochdale): password demo-officer-pass" in result.output
    assert "Demo manager manager: password demo-manager-pass" in result.output
    with app.app_context():
        assert accounts.get("officer").authorities == {"E08000005"}
