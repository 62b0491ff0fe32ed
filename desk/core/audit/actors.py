"""Who made a change, as the audit log names them: a member of staff, or a command-line user.

The services below the staff layer (verification's) take an `Actor` rather than a member of
staff, so the web (an administrator signed in) and the command line record the same rows.
"""

import getpass
from dataclasses import dataclass
from typing import Any, TypedDict


class Columns(TypedDict, total=False):
    """The audit column that names an actor who is a member of staff."""

    supervisor_id: int


@dataclass(frozen=True)
class Actor:
    """The one who acted: their name for the log, and their staff ID when signed in."""

    name: str
    staff_id: int | None = None

    @classmethod
    def command_line(cls) -> "Actor":
        """Whoever is running this command, by their operating-system user name."""
        return cls(f"command line ({getpass.getuser()})")

    def data(self) -> dict[str, Any]:
        """What the audit row's data says of the actor."""
        if self.staff_id is None:
            return {"by": self.name}
        return {"by": self.name, "by_staff_id": self.staff_id}

    def columns(self) -> Columns:
        """The audit columns that name the actor: administrators go in `supervisor_id`, as in
        desk/staff/accounts.py `subject`."""
        return {} if self.staff_id is None else {"supervisor_id": self.staff_id}
