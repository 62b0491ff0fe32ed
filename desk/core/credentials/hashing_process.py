"""argon2 work done in a small child process at low CPU priority, not in the web worker.

Why: a PIN check is about 22 ms of one core and a 19 MiB block. Done in a sync gunicorn worker
it takes a core at the same priority as the webhooks that hash nothing, which then queue behind
it, and glibc keeps the freed block in the worker's heap (what put workers over 150 MB). Here
each process that hashes has one hashing process of its own (a gunicorn worker starts it as the
worker starts; anything else on first use). It imports argon2, not the app, and is niced, so
that the scheduler runs any webhook ahead of a hash. The web worker waits on a pipe meanwhile,
using no CPU.

If the hashing process dies, it is started again and the work sent once more (hashing and
checking are safe to repeat); if that fails too, or an answer takes longer than the timeout,
the caller gets `HashingUnavailable`, which a webhook answers with its safe message.
"""

import json
import os
import signal
import subprocess  # nosec B404 - starts this interpreter on this module
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TypeVar

from argon2 import PasswordHasher

from desk.core.credentials.hashing import Checked, Hasher

# Below every web worker (niceness 0) but not at the floor (19): at 10 a hash gets about a
# tenth of a core that a webhook also wants, so a PIN under load is slowed, not starved.
NICENESS = 10
# Well inside gunicorn's worker timeout (10 s) and Twilio's 15 s.
TIMEOUT_SECONDS = 5.0

T = TypeVar("T")


class HashingUnavailable(RuntimeError):
    """The hashing process could not answer: the secret was neither hashed nor checked."""


@dataclass(frozen=True)
class Costs:
    """argon2id's costs: passes, memory in KiB, lanes."""

    time_cost: int
    memory_kib: int
    parallelism: int

    def argon2(self) -> PasswordHasher:
        return PasswordHasher(
            time_cost=self.time_cost, memory_cost=self.memory_kib, parallelism=self.parallelism
        )


def serve(costs: Costs, niceness: int) -> None:
    """The hashing process: answer each (name, arguments) read from stdin on stdout, until
    stdin closes (the web process is gone, or has let this process go)."""
    os.nice(niceness)
    # Ctrl-C at a terminal reaches the whole process group: this process ends when the web
    # process does (its stdin closes), not before it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests, answers = Connection(os.dup(0), writable=False), Connection(os.dup(1), readable=False)
    # Nothing printed may mix with the answers on stdout.
    os.dup2(2, 1)
    hasher = Hasher(costs.argon2())
    # The dummy is made now, so that the first unknown ID checked takes as long as the rest.
    hasher.dummy  # noqa: B018
    answering = work(hasher)
    while True:
        try:
            name, arguments = requests.recv()
        except (EOFError, OSError):
            return
        answers.send(answering[name](*arguments))


def work(hasher: Hasher) -> dict[str, Callable[..., object]]:
    """What a hashing process answers, by the name it is asked for."""
    return {
        "hash": hasher.hash,
        "verify": hasher.verify,
        "dummy": lambda: hasher.dummy,
        "pid": os.getpid,
    }


class HashingProcess:
    """The `Hasher` interface, its argon2 work done in a hashing process of this process's own.

    One request at a time goes to it (a lock): a sync worker sends one anyway, and threads
    of one process queue here rather than hash side by side.
    """

    def __init__(
        self, costs: Costs, niceness: int = NICENESS, timeout_seconds: float = TIMEOUT_SECONDS
    ) -> None:
        self.costs = costs
        self.niceness = niceness
        self.timeout_seconds = timeout_seconds
        # Checking a hash's costs reads its string: no hashing, so that is done here.
        self.argon2 = costs.argon2()
        self._reader = Hasher(self.argon2)
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._pipes: tuple[Connection, Connection] | None = None
        self._owner: int | None = None

    def hash(self, secret: str) -> str:
        """The hash to store for a secret."""
        return self._ask(str, "hash", secret)

    def verify(self, stored: str | None, secret: str) -> Checked:
        """As `Hasher.verify`: checked against the dummy when there is no hash."""
        return self._ask(Checked, "verify", stored, secret)

    def check(self, stored: str | None, secret: str) -> bool:
        """Whether the secret matches the hash; with none, a dummy is checked, taking as long."""
        return self.verify(stored, secret).is_match

    @property
    def dummy(self) -> str:
        """The hash an unknown account's secret is checked against (made in the hashing process)."""
        return self._ask(str, "dummy")

    def needs_rehash(self, stored: str) -> bool:
        """Whether a stored hash was made with other costs than these (read, not hashed)."""
        return self._reader.needs_rehash(stored)

    def pid(self) -> int:
        """The hashing process's id (starting it if need be)."""
        return self._ask(int, "pid")

    def start(self) -> None:
        """Start the hashing process now, without waiting for it: its start (an interpreter,
        argon2, the dummy hash; seconds on a loaded machine) then falls outside any request's
        timeout rather than in the first PIN's."""
        with self._lock:
            self._started()

    def stop(self) -> None:
        """Let the hashing process go; the next request starts another."""
        with self._lock:
            self._discard()

    def _ask(self, kind: type[T], name: str, *arguments: object) -> T:
        # One deadline for both tries, so that a death and a restart together still answer
        # (or give up) within the timeout, not twice it.
        deadline = time.monotonic() + self.timeout_seconds
        with self._lock:
            for _ in range(2):  # once more after a death: the work is safe to repeat
                try:
                    requests, answers = self._started()
                    requests.send((name, arguments))
                    if not answers.poll(max(0.0, deadline - time.monotonic())):
                        self._discard()
                        raise HashingUnavailable("the hashing process did not answer in time")
                    answer = answers.recv()
                except (EOFError, OSError):
                    self._discard()  # it died (or could not start): start another, send again
                    continue
                except BaseException:
                    # Interrupted between asking and reading: its answer must not be left in
                    # the pipe for the next request to read as its own.
                    self._discard()
                    raise
                assert isinstance(answer, kind)
                return answer
            raise HashingUnavailable("the hashing process died twice")

    def _started(self) -> tuple[Connection, Connection]:
        if self._owner != os.getpid():
            # A forked copy of a process that had one: that process is not this one's to use.
            self._process = self._pipes = None
            self._owner = os.getpid()
        if self._pipes is None or self._process is None or self._process.poll() is not None:
            self._discard()
            # A fresh interpreter on this module (not multiprocessing's spawn, which would run
            # the web process's main script again): it holds argon2, not the web app.
            process = subprocess.Popen(  # noqa: S603  # nosec B603 - fixed arguments
                [
                    sys.executable,
                    "-m",
                    __name__,
                    json.dumps(asdict(self.costs)),
                    str(self.niceness),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                # Only what an interpreter needs to find its modules: not the web process's
                # settings and keys, which the hashing process has no use for.
                env=_environment(),
            )
            assert process.stdin is not None and process.stdout is not None
            # The connections own copies of the pipes' descriptors; the files are not used.
            self._process = process
            self._pipes = (
                Connection(os.dup(process.stdin.fileno()), readable=False),
                Connection(os.dup(process.stdout.fileno()), writable=False),
            )
            process.stdin.close()
            process.stdout.close()
        return self._pipes

    def _discard(self) -> None:
        process, pipes = self._process, self._pipes
        self._process = self._pipes = None
        if pipes is not None:
            for pipe in pipes:
                pipe.close()
        if process is not None and self._owner == os.getpid():
            process.kill()
            process.wait(timeout=5)


def _environment() -> dict[str, str]:
    kept = {name: os.environ[name] for name in ("PATH", "LANG", "LC_ALL") if name in os.environ}
    return kept | {"PYTHONPATH": _import_path()}


def _import_path() -> str:
    """PYTHONPATH for the hashing process: where this `desk` was imported from comes first."""
    here = str(Path(__file__).resolve().parents[3])
    return os.pathsep.join([here, *filter(None, [os.environ.get("PYTHONPATH")])])


_shared: dict[tuple[Costs, int], HashingProcess] = {}
_shared_lock = threading.Lock()


def shared(costs: Costs, niceness: int = NICENESS) -> HashingProcess:
    """This process's hashing process for these costs: one, whichever app asks for it."""
    with _shared_lock:
        return _shared.setdefault((costs, niceness), HashingProcess(costs, niceness))


if __name__ == "__main__":
    serve(Costs(**json.loads(sys.argv[1])), int(sys.argv[2]))
