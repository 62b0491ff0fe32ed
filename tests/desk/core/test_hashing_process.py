"""The hashing process: argon2 work out of the web process, at low priority, replaced if it dies."""

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from flask import Flask

from bench.server import Workers, descendants
from bench.server import gunicorn as serve
from desk.core.credentials.hashing_process import Costs, HashingProcess, HashingUnavailable
from desk.dev.simulator import Twilio
from ivr import flow
from tests.factories import PHONE, PIN
from tests.load.server import server_environment

CHEAP = Costs(time_cost=1, memory_kib=1024, parallelism=1)
# About a second of one core on the machines the tests run on: long enough to overlap a step.
SLOW = Costs(time_cost=60, memory_kib=16384, parallelism=1)


@pytest.fixture
def hashing() -> Iterator[HashingProcess]:
    process = HashingProcess(CHEAP, timeout_seconds=2)
    yield process
    process.stop()


def test_it_hashes_and_checks_in_a_process_of_its_own_at_lower_priority(
    hashing: HashingProcess,
) -> None:
    stored = hashing.hash("582914")

    assert PasswordHasher().verify(stored, "582914")
    assert hashing.check(stored, "582914")
    assert not hashing.check(stored, "582915")
    assert not hashing.check(None, "582914")  # no account: the dummy is checked, never a match
    assert hashing.pid() != os.getpid()
    assert os.getpriority(os.PRIO_PROCESS, hashing.pid()) >= os.getpriority(
        os.PRIO_PROCESS, 0
    ) + min(10, 19 - os.getpriority(os.PRIO_PROCESS, 0))


def test_a_hash_at_other_costs_is_rehashed_at_these_right_or_wrong(
    hashing: HashingProcess,
) -> None:
    older = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash("582914")

    right, wrong = hashing.verify(older, "582914"), hashing.verify(older, "000000")

    assert right.is_match and right.rehashed is not None
    assert not hashing.needs_rehash(right.rehashed)
    assert not wrong.is_match and wrong.fresh is not None and wrong.rehashed is None


def test_a_hashing_process_that_dies_is_replaced_and_the_work_done(
    hashing: HashingProcess,
) -> None:
    stored = hashing.hash("582914")
    first = hashing.pid()
    os.kill(first, signal.SIGKILL)
    time.sleep(0.2)  # gone before the next request, or dying as it is sent: either is handled

    assert hashing.check(stored, "582914")
    assert hashing.pid() != first


def test_a_hashing_process_that_does_not_answer_in_time_fails_and_is_replaced(
    hashing: HashingProcess,
) -> None:
    stored = hashing.hash("582914")
    stuck = hashing.pid()
    os.kill(stuck, signal.SIGSTOP)
    try:
        with pytest.raises(HashingUnavailable):
            hashing.check(stored, "582914")
    finally:
        with contextlib.suppress(ProcessLookupError):  # killed, as it should have been
            os.kill(stuck, signal.SIGCONT)

    assert hashing.check(stored, "582914")
    assert hashing.pid() != stuck


def test_a_slow_hash_does_not_hold_up_a_step_that_hashes_nothing(
    app: Flask, twilio: Twilio, sam: str
) -> None:
    slow = HashingProcess(SLOW, timeout_seconds=60)
    try:
        slow.pid()  # started, so that what follows times the hash and not the start
        hashing = threading.Thread(target=slow.hash, args=("582914",))
        began = time.monotonic()
        cpu_before = time.process_time()
        hashing.start()
        phone = twilio.call(PHONE)
        phone.dial()
        phone.key(sam)
        steps_done = time.monotonic() - began
        still_hashing = hashing.is_alive()
        hashing.join()
        hashed = time.monotonic() - began
        cpu_here = time.process_time() - cpu_before
    finally:
        slow.stop()

    assert still_hashing, f"the steps took {steps_done:.2f} s, the hash {hashed:.2f} s"
    assert phone.heard[-1] == flow.QUESTION[flow.Field.PIN]
    # The hash's CPU was spent in the hashing process: this process only ran the two steps.
    assert cpu_here < hashed


def test_a_caller_hears_the_safe_message_when_no_pin_can_be_checked(
    app: Flask, twilio: Twilio, sam: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*_args: object) -> None:
        raise HashingUnavailable("the hashing process died twice")

    monkeypatch.setattr(HashingProcess, "_ask", unavailable)
    phone = twilio.call(PHONE)
    phone.dial()
    phone.key(sam)
    phone.key(PIN)  # answered 200 with TwiML, or the simulator raises

    assert phone.heard[-1] == flow.UNAVAILABLE
    assert phone.is_hung_up


def test_each_gunicorn_worker_starts_a_hashing_process_of_its_own_as_it_starts(
    database_uri: str,
) -> None:
    with serve("wsgi:app", server_environment(database_uri), Workers(count=2)) as served:
        workers = served.worker_pids()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            helpers = {worker: set(descendants(worker)) - {worker} for worker in workers}
            if all(helpers.values()):
                break
            time.sleep(0.2)
        commands = []
        for found in helpers.values():
            for helper in found:
                with open(f"/proc/{helper}/cmdline", "rb") as cmdline:
                    commands.append(cmdline.read())

    assert all(len(found) == 1 for found in helpers.values()), helpers
    assert all(b"desk.core.credentials.hashing_process" in command for command in commands)
