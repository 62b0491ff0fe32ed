"""The IVR benchmark end to end, at its smallest: every step measured on both servers."""

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.database import SERVER_URL
from bench.ivr.driver import STEPS
from bench.ivr.results import ALL_BUT_PIN
from bench.ivr.run import main
from tests.conftest import TEST_DATABASE

DATABASE = f"{TEST_DATABASE}_bench_ivr"


def test_every_call_is_queued_and_every_step_timed_on_the_desk_and_the_floor(
    capsys: pytest.CaptureFixture[str],
) -> None:
    smallest = ("--calls", "3", "--warmup", "1", "--concurrency", "2", "--workers", "1")
    main([*smallest, "--waits", "2", "--database", DATABASE, "--fresh", "--json"])
    result = json.loads(capsys.readouterr().out)

    for server in ("desk", "floor"):
        assert result[server]["failed_calls"] == 0, result[server]["failures"]
        assert result[server]["requests"] == 3 * (len(STEPS) + 1)  # a second wait each
        assert len(result[server]["worker_rss_mib"]) == 1
    steps = result["desk"]["steps"]
    assert {step: found["requests"] for step, found in steps.items()} == {
        **dict.fromkeys(STEPS, 3),
        "wait": 6,
        ALL_BUT_PIN: 3 * len(STEPS),
    }
    assert steps["pin"]["target"].startswith("p50 >= 20")

    # The desk really took the calls: each verified, queued, and abandoned when the caller hung up.
    engine = sa.create_engine(make_url(SERVER_URL).set(database=DATABASE))
    with engine.connect() as connection:
        statuses = dict(
            connection.execute(sa.text("SELECT status, count(*) FROM calls GROUP BY 1")).all()
        )
        verified = connection.execute(
            sa.text("SELECT count(*) FROM audit_events WHERE kind = 'verification.succeeded'")
        ).scalar_one()
    engine.dispose()
    assert statuses == {"abandoned": 4}
    assert verified == 4
