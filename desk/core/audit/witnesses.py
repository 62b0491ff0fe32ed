"""Witnesses: where checkpoints are kept, out of reach of whoever owns the database.

A witness is anything that keeps every checkpoint it is given and hands back the newest. Two
are built: a directory (`dir:/path`) and a web service (`https://…`), named by
DESK_AUDIT_WITNESS. Neither protects anything unless the database's owner cannot change what
it keeps: see docs/design.md, "Checkpoints".
"""

import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from desk.core.audit.checkpoints import Checkpoint

FILE_NAME = re.compile(r"checkpoint-(\d+)-(\d{8}T\d{6}Z)\.txt")
TIMEOUT_SECONDS = 10


class WitnessError(RuntimeError):
    """The witness could not be reached, or did not keep a checkpoint."""


@dataclass(frozen=True)
class Published:
    """A signed note a witness holds, and where: a file's path or a URL."""

    where: str
    note: str


class Witness(Protocol):
    """Keeps every checkpoint published to it, and never changes one."""

    def publish(self, checkpoint: Checkpoint, note: str) -> str:
        """Keep this signed note; where it is kept."""
        ...

    def recent(self, limit: int | None = None) -> list[Published]:
        """The newest notes kept (the largest size first), at most `limit` of them."""
        ...


class DirectoryWitness:
    """A directory of files `checkpoint-<size>-<time>.txt`, each written once, never again."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __str__(self) -> str:
        return f"the directory {self.path}"

    def publish(self, checkpoint: Checkpoint, note: str) -> str:
        self.path.mkdir(parents=True, exist_ok=True)
        target = self.path / (
            f"checkpoint-{checkpoint.size}-{checkpoint.signed_at:%Y%m%dT%H%M%SZ}.txt"
        )
        # O_EXCL: a file of that name is never replaced, whoever made it.
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        except FileExistsError:
            if target.read_text() == note:  # the same checkpoint published twice in a second
                return str(target)
            raise WitnessError(f"{target} exists and holds another checkpoint") from None
        with os.fdopen(fd, "w") as file:
            file.write(note)
            file.flush()
            os.fsync(file.fileno())
        return str(target)

    def recent(self, limit: int | None = None) -> list[Published]:
        if not self.path.is_dir():
            return []
        kept = [
            (int(match[1]), match[2], path)
            for path in self.path.iterdir()
            if (match := FILE_NAME.fullmatch(path.name))
        ]
        kept.sort(reverse=True)
        return [Published(str(path), path.read_text()) for _, _, path in kept[:limit]]


class HttpWitness:
    """A web service: POST a note to the URL to have it kept; GET the URL for the newest.

    GET answers 200 with the newest note as text/plain, or 404 while it holds none.
    """

    def __init__(self, url: str) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"a witness's URL is http(s)://…, not {url}")
        self.url = url

    def __str__(self) -> str:
        return f"the witness at {self.url}"

    def publish(self, checkpoint: Checkpoint, note: str) -> str:
        request = urllib.request.Request(  # noqa: S310 (http(s), checked in __init__)
            self.url,
            data=note.encode(),
            headers={"Content-Type": "text/plain; charset=utf-8"},
            method="POST",
        )
        self._open(request)
        newest = self.recent(1)
        # Read back, so that a witness which answered but did not keep it is noticed now.
        if not newest or newest[0].note != note:
            raise WitnessError(f"{self} answered but does not hand the checkpoint back")
        return self.url

    def recent(self, limit: int | None = None) -> list[Published]:
        if limit == 0:
            return []
        try:
            note = self._open(urllib.request.Request(self.url, method="GET"))  # noqa: S310
        except WitnessError as error:
            if isinstance(error.__cause__, urllib.error.HTTPError) and error.__cause__.code == 404:
                return []
            raise
        return [Published(self.url, note)]

    def _open(self, request: urllib.request.Request) -> str:
        try:
            # The scheme is http(s), checked when the witness was made.
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310  # nosec B310
                return str(answer.read().decode())
        except (urllib.error.URLError, OSError, UnicodeDecodeError) as error:
            raise WitnessError(f"{self} could not be reached: {error}") from error


def witness_from(setting: str) -> Witness:
    """The witness DESK_AUDIT_WITNESS names: `dir:/path` or `https://…`."""
    if setting.startswith("dir:"):
        return DirectoryWitness(Path(setting.removeprefix("dir:")).expanduser())
    if setting.startswith(("https://", "http://")):
        return HttpWitness(setting)
    raise ValueError("DESK_AUDIT_WITNESS is `dir:/path` or `https://…`")
