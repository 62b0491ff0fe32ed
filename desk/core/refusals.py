"""What the console says when it will not do something."""


class Refused(Exception):
    """The operator may not do this now; args[0] says why, in words for the operator."""

    @property
    def message(self) -> str:
        return str(self.args[0])
