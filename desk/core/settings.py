"""Every setting the desk reads from its environment: name, default, parser and what it is for.

One table, so that the README's list, the environment template and the checks at start all
come from the same place.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    """One environment variable: its default, how to parse it, and what it is for."""

    name: str
    default: Any
    parse: Callable[[str], Any]
    doc: str


SETTINGS = (
    Setting(
        "DESK_ENV",
        "production",
        str,
        "`production` or `development`. Development invents and keeps missing keys.",
    ),
    Setting(
        "DATABASE_URL",
        None,
        str,
        "SQLAlchemy URL; `postgresql://…` in production, as the desk's own role (see "
        "DESK_APP_DATABASE_ROLE). Default: SQLite in instance/desk.db, for the demo only.",
    ),
    Setting(
        "DESK_MIGRATE_DATABASE_URL",
        None,
        str,
        "The URL of the role that owns the tables; `flask db upgrade` connects with it when "
        "set (else with DATABASE_URL). Give it to that command only, never to the web servers.",
    ),
    Setting(
        "DESK_APP_DATABASE_ROLE",
        None,
        str,
        "The PostgreSQL role the desk runs as: the migrations grant it what the desk needs "
        "and no more (the audit log to read and append to only). Unset: no grants made.",
    ),
    Setting("SECRET_KEY", None, str, "Signs sessions and CSRF tokens. Required in production."),
    Setting(
        "DESK_TOTP_KEY",
        None,
        str,
        "Fernet key that encrypts practitioners' token secrets at rest. Required in production.",
    ),
    Setting("TWILIO_ACCOUNT_SID", None, str, "Twilio account SID."),
    Setting(
        "TWILIO_AUTH_TOKEN",
        None,
        str,
        "Twilio auth token; webhooks are validated with it and refused without it.",
    ),
    Setting(
        "TWILIO_API_KEY_SID", None, str, "Optional API key for REST calls (else the auth token)."
    ),
    Setting("TWILIO_API_KEY_SECRET", None, str, "The API key's secret."),
    Setting(
        "DESK_SOFTPHONE_TOKEN_SECONDS",
        600,
        int,
        "How long the softphone's access token lasts (signed with TWILIO_API_KEY_SID, which "
        "the softphone needs); the softphone fetches a new one before it expires.",
    ),
    Setting(
        "DESK_TWILIO_NUMBER",
        None,
        str,
        "The desk's Twilio number: the caller ID on the legs that ring operators.",
    ),
    Setting(
        "DESK_TELEPHONY",
        None,
        str,
        "`twilio`, or `local` to play Twilio's part on this machine (the dev phone). "
        "Default: local in development, twilio otherwise.",
    ),
    Setting(
        "DESK_PUBLIC_URL",
        None,
        str,
        "The URL Twilio calls, e.g. https://desk.example.org: webhook signatures are checked "
        "against it and every URL handed to Twilio is built from it, never from a request's "
        "Host header. Required outside development (https:// in production).",
    ),
    Setting(
        "DESK_PROXY_HOPS",
        None,
        int,
        "How many proxies (nginx, a load balancer) stand in front of the desk; their "
        "X-Forwarded-For, -Proto, -Host and -Port are trusted, so client addresses (rate "
        "limits), HTTPS (HSTS, secure cookies) and the host are the client's. 0: clients "
        "connect to the desk directly. Required outside development, where it defaults to 0.",
    ),
    Setting("DESK_QUEUE_NAME", "desk", str, "Name of the Twilio queue callers wait in."),
    Setting(
        "DESK_OPENING_HOURS",
        "",
        str,
        "When the desk takes calls, e.g. `Mon-Fri 08:00-18:00; Sat 09:00-13:00`. "
        "Empty: always open.",
    ),
    Setting("DESK_TIMEZONE", "Europe/London", str, "Time zone of the opening hours."),
    Setting(
        "DESK_THROTTLE_FAILURES",
        10,
        int,
        "Failed verifications from one calling number, within the window, before every "
        "further attempt from it is refused.",
    ),
    Setting("DESK_THROTTLE_WINDOW_MINUTES", 60, int, "The window of DESK_THROTTLE_FAILURES."),
    Setting(
        "DESK_RECHECK_ASKS",
        "code",
        str,
        "What a caller keys when the operator asks them to key their code again during a "
        "call: `code` (a fresh token code) or `pin_and_code`.",
    ),
    Setting(
        "DESK_RECHECK_BEFORE_SHIELDED",
        False,
        lambda value: value.strip().lower() in {"1", "true", "yes", "on"},
        "`true`: a shielded child's record opens only once the caller has keyed their code "
        "again in this call.",
    ),
    Setting(
        "DESK_RECHECK_AFTER_MINUTES",
        0,
        int,
        "After this many minutes since the call was taken, no record opens until the caller "
        "has keyed their code again (a re-check counts for as long). 0: never asked.",
    ),
    Setting(
        "DESK_CALLBACK_ATTEMPTS",
        3,
        int,
        "Call-backs to a queued caller who chose one (virtual hold) that may go unanswered or "
        "unverified before the call is recorded as abandoned.",
    ),
    # About 40 ms a verification on a 2-core server: dear for a guesser, cheap for a caller.
    Setting("DESK_SEARCHES_PER_CALL", 10, int, "Searches an operator may make in one call."),
    Setting(
        "DESK_RECORDS_PER_CALL", 5, int, "Children's records an operator may open in one call."
    ),
    Setting(
        "DESK_FLAG_SEARCHES",
        3,
        int,
        "Review: a mediated call with more searches than this is flagged.",
    ),
    Setting(
        "DESK_FLAG_RECORDS",
        2,
        int,
        "Review: a mediated call in which more children's records were opened is flagged.",
    ),
    Setting(
        "DESK_FLAG_LONG_CALL_MINUTES",
        20,
        int,
        "Review: a call an operator held longer than this, taken to wrap-up, is flagged.",
    ),
    Setting(
        "DESK_FLAG_CALLS_PER_DAY",
        4,
        int,
        "Review: a practitioner's calls in one day beyond this many are flagged.",
    ),
    Setting(
        "DESK_FLAG_USUAL_HOURS",
        "",
        str,
        "Review: calls taken outside these hours (format of DESK_OPENING_HOURS) are flagged. "
        "Empty: the opening hours.",
    ),
    Setting(
        "DESK_RATE_LIMIT_STORAGE",
        "memory://",
        str,
        "Where rate limits are counted: `redis://127.0.0.1:6379/0` in production, so that "
        "every worker shares the counts (`memory://` is refused there); `memory://` (one "
        "count per process) for a development desk.",
    ),
    Setting(
        "DESK_SIGN_IN_RATE_LIMIT",
        "10/minute",
        str,
        "Sign-in attempts allowed from one address (Flask-Limiter notation).",
    ),
    Setting(
        "DESK_IVR_RATE_LIMIT",
        "30/minute",
        str,
        "Keypad webhooks (voice, answer) allowed for one call; beyond it the caller is told "
        "the service is unavailable.",
    ),
    Setting(
        "DESK_AUDIT_SIGNING_KEY",
        None,
        str,
        "Ed25519 private key (PEM, or the path of a PEM file) that signs the audit log's "
        "checkpoints; kept where the database's owner cannot read it. Development desks make one.",
    ),
    Setting(
        "DESK_AUDIT_VERIFY_KEY",
        None,
        str,
        "The signing key's public half (PEM, or a path), to check checkpoints where the "
        "signing key is not kept. Default: derived from DESK_AUDIT_SIGNING_KEY.",
    ),
    Setting(
        "DESK_AUDIT_WITNESS",
        None,
        str,
        "Where checkpoints are published, out of the database owner's reach: `dir:/path` or "
        "`https://…`. Default in development: dir:instance/checkpoints.",
    ),
    Setting(
        "DESK_AUDIT_CHECKPOINT_MINUTES",
        15,
        int,
        "A checkpoint is due this long after the last, if rows were added since.",
    ),
    Setting(
        "DESK_RECONCILE_AFTER_MINUTES",
        30,
        int,
        "`calls reconcile` asks Twilio about calls in the IVR, queued or connected this long.",
    ),
    Setting(
        "DESK_WRAP_UP_MAX_SECONDS",
        120,
        int,
        "An operator's after-call work ends by itself this long after a wrap-up (0: none).",
    ),
    Setting(
        "DESK_SERVICE_LEVEL_SECONDS",
        20,
        int,
        "The wallboard's service level: the share of callers taken within this many seconds.",
    ),
    Setting(
        "DESK_SERVICE_LEVEL_TARGET_PERCENT",
        80,
        int,
        "The wallboard's target for that share (80: 80% within DESK_SERVICE_LEVEL_SECONDS).",
    ),
    Setting(
        "DESK_SHORT_ABANDON_SECONDS",
        5,
        int,
        "A caller who hangs up this soon after joining the queue is a short abandon: not counted.",
    ),
    Setting(
        "DESK_BROKERED_DUE_WORKING_DAYS",
        1,
        int,
        "The service level of a brokered contact request: it is due this many working days "
        "(Monday to Friday, by DESK_TIMEZONE) after it was made, and marked overdue after.",
    ),
    # OWASP's argon2id setting of 19 MiB, 2 passes, 1 lane: about 22 ms of one core per PIN
    # checked on the 2-core machine in docs/performance.md. The 32 MiB, 3-pass, 2-lane setting
    # before it cost 68 ms of CPU a PIN, and at 100 webhooks a second took more than half of
    # two cores, queueing every other step behind it. A 6-digit PIN is not made safe by its
    # hash's cost anyway: lockout, the token code and sealed secrets protect it.
    Setting("DESK_ARGON2_TIME_COST", 2, int, "argon2id passes for PIN hashes."),
    Setting("DESK_ARGON2_MEMORY_KIB", 19456, int, "argon2id memory for PIN hashes, in KiB."),
    Setting("DESK_ARGON2_PARALLELISM", 1, int, "argon2id lanes for PIN hashes."),
    Setting(
        "DESK_ACTIVATION_DAYS",
        28,
        int,
        "Days a practitioner's one-time activation code works before a new one must be issued.",
    ),
)
