"""The benchmark driver: paced requests are timed from when they fell due, not when sent."""

import time
from dataclasses import dataclass

import pytest

from bench.ivr.driver import Pacer, TimedLine
from bench.server import Answer


@dataclass
class SlowServer:
    """Answers every request after `seconds`."""

    seconds: float

    def post(self, path: str, *, data: dict[str, str], headers: dict[str, str]) -> Answer:
        time.sleep(self.seconds)
        return Answer(200, "text/xml", b"<Response/>")


def test_paced_requests_fall_due_one_per_interval_from_the_start() -> None:
    pacer = Pacer(rate=50)
    pacer.start()
    dues = [pacer.due() - pacer.started for _ in range(5)]
    assert dues == pytest.approx([0.0, 0.02, 0.04, 0.06, 0.08])
    assert time.perf_counter() - pacer.started >= 0.08


def test_a_server_slower_than_the_pace_is_charged_for_the_wait_it_causes() -> None:
    pacer = Pacer(rate=50)  # one request due every 20 ms, each taking 50 ms
    line = TimedLine(SlowServer(0.05), pacer)
    pacer.start()
    for _ in range(5):
        line.post("/ivr/voice", data={}, headers={})

    late = [sent.late_seconds for sent in line.sent]
    assert late[0] < 0.02 and late[-1] >= 4 * (0.05 - 0.02) - 0.005
    assert all(sent.seconds >= sent.late_seconds + 0.05 for sent in line.sent)


def test_flat_out_requests_are_due_when_sent() -> None:
    line = TimedLine(SlowServer(0.01), Pacer(rate=None))
    for _ in range(3):
        line.post("/ivr/voice", data={}, headers={})
    assert all(sent.late_seconds < 0.005 for sent in line.sent)
    assert all(sent.seconds >= 0.01 for sent in line.sent)
