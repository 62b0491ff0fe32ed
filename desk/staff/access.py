"""Who may open a page: signed-in staff, and of those only the roles a view names."""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar, cast

from flask import abort
from flask_login import current_user, login_required

from desk.staff.models import Role

P = ParamSpec("P")
R = TypeVar("R")


def role_required(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let only signed-in staff in one of `roles` open the view: others get 403, or sign in."""
    if not roles:
        raise ValueError("name at least one role")

    def guard(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        # login_required runs first, so `guarded` only ever sees a signed-in member of staff.
        protected = cast(Callable[P, R], login_required(guarded))
        # Which roles the view lets in, for the test that walks every route and checks each
        # page names its roles (tests/desk/web/test_route_protection.py); nothing else reads it.
        protected.allowed_roles = roles  # type: ignore[attr-defined]
        return protected

    return guard
