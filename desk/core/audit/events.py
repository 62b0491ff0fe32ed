"""The audit log's vocabulary: every kind of event the desk records, named once.

Writers pass an `Event`; the timeline, the review's facts and subject access read by it. The
values are what the log stores, so a member is never renamed, only added.
"""

from enum import StrEnum


class Event(StrEnum):
    # A call's way through the IVR and the queue (ivr)
    CALL_STARTED = "call.started"
    CALL_QUEUED = "call.queued"
    CALL_LEFT_QUEUE = "call.left_queue"
    CALL_REQUEUED = "call.requeued"
    CALL_ABANDONED = "call.abandoned"
    CALL_ENDED = "call.ended"
    CALL_ENDED_BY_DESK = "call.ended_by_desk"
    CALL_STATUS_FOR_UNKNOWN_CALL = "call.status_for_unknown_call"
    CALL_OPERATOR_LEG = "call.operator_leg"
    CALL_RECONCILED = "call.reconciled"
    # What the call's conference reported of a party: joined, left, held, muted (ivr/line.py)
    CALL_CONFERENCE = "call.conference"
    # Later checks of who is on the line: the desk's call-back, the keypad re-check (ivr)
    CALL_BACK_REQUESTED = "call.call_back_requested"
    CALL_BACK_CONNECTED = "call.call_back_connected"
    CALL_RECHECK_REQUESTED = "call.recheck_requested"
    CALL_RECHECK_CHECKED = "call.recheck_checked"
    CALL_RECHECK_FAILED = "call.recheck_failed"
    # A queued caller chose to be called back instead of holding (ivr/virtual_hold.py)
    CALL_CALLBACK_REQUESTED = "call.callback_requested"
    # Keypad verification (ivr, verification)
    VERIFICATION_SUCCEEDED = "verification.succeeded"
    VERIFICATION_FAILED = "verification.failed"
    VERIFICATION_INACTIVE = "verification.inactive"
    # Practitioners' accounts (verification)
    PRACTITIONER_ADDED = "practitioner.added"
    PRACTITIONER_LOCKED = "practitioner.locked"
    PRACTITIONER_UNLOCKED = "practitioner.unlocked"
    PRACTITIONER_SUSPENDED = "practitioner.suspended"
    PRACTITIONER_REACTIVATED = "practitioner.reactivated"
    # Administration of practitioners (verification; issue 16)
    PRACTITIONERS_IMPORTED = "practitioners.imported"
    PRACTITIONER_UPDATED = "practitioner.updated"
    PRACTITIONER_ACTIVATION_ISSUED = "practitioner.activation_issued"
    PRACTITIONER_ACTIVATED = "practitioner.activated"
    PRACTITIONER_PHONES_CHANGED = "practitioner.phones_changed"
    PRACTITIONER_DATES_CHANGED = "practitioner.dates_changed"
    TOKENS_IMPORTED = "tokens.imported"
    TOKEN_ASSIGNED = "token.assigned"  # noqa: S105  # nosec B105 - an event name
    TOKEN_RESYNCED = "token.resynced"  # noqa: S105  # nosec B105 - an event name
    TOKEN_LOST = "token.lost"  # noqa: S105  # nosec B105 - an event name
    TOKEN_RETIRED = "token.retired"  # noqa: S105  # nosec B105 - an event name
    SOFT_TOKEN_ISSUED = "token.soft_issued"  # noqa: S105  # nosec B105 - an event name
    # Staff accounts and sign-in (staff)
    STAFF_ADDED = "staff.added"
    STAFF_DISABLED = "staff.disabled"
    STAFF_UNLOCKED = "staff.unlocked"
    STAFF_LOCKED = "staff.locked"
    STAFF_SIGNED_IN = "staff.signed_in"
    STAFF_SIGNED_OUT = "staff.signed_out"
    STAFF_SIGN_IN_FAILED = "staff.sign_in_failed"
    STAFF_AUTHENTICATOR_REENROLLED = "staff.authenticator_reenrolled"
    STAFF_AUTHORITIES_SET = "staff.authorities_set"
    # An operator's handling of a call (console)
    CALL_TAKEN = "call.taken"
    CALL_TAKE_FAILED = "call.take_failed"
    CALL_RELEASED = "call.released"
    CALL_RELEASE_FAILED = "call.release_failed"
    CALL_IDENTITY_CONFIRMED = "call.identity_confirmed"
    CALL_PURPOSE_RECORDED = "call.purpose_recorded"
    CALL_WRAPPED_UP = "call.wrapped_up"
    # The line: the operator holds or mutes, a supervisor listens in (a disclosure: they hear
    # what is read back) and leaves (console)
    CALL_HOLD_REQUESTED = "call.hold_requested"
    CALL_MUTE_REQUESTED = "call.mute_requested"
    CALL_LISTEN_IN_STARTED = "call.listen_in_started"
    CALL_LISTEN_IN_ENDED = "call.listen_in_ended"
    # Searching the index and using a child's record (console)
    SEARCH_MADE = "search.made"
    SEARCH_REFUSED = "search.refused"
    RECORD_OPENED = "record.opened"
    RECORD_READ_BACK = "record.read_back"
    RECORD_BROKERED_CONTACT_REQUESTED = "record.brokered_contact_requested"
    # Supervisors' review (review)
    REVIEW_FLAGS_ASSESSED = "review.flags_assessed"
    REVIEW_PAGE_VIEWED = "review.page_viewed"
    REVIEW_SIGNED_OFF = "review.signed_off"
    REVIEW_SIGN_OFF_REFUSED = "review.sign_off_refused"
    REVIEW_REPORT_DOWNLOADED = "review.report_downloaded"
    # The children index (records) and the log itself
    RECORDS_IMPORTED = "records.imported"
    RECORDS_ARCHIVED = "records.archived"
    RECORDS_PURGED = "records.purged"
    AUDIT_SUBJECT_ACCESS = "audit.subject_access"
    # Local authority officers: brokered contact worked to its end, and shielding (authority)
    AUTHORITY_PAGE_VIEWED = "authority.page_viewed"
    BROKERED_CLAIMED = "brokered.claimed"
    BROKERED_RECORD_VIEWED = "brokered.record_viewed"
    BROKERED_STEP_LOGGED = "brokered.step_logged"
    BROKERED_CLOSED = "brokered.closed"
    BROKERED_SMS_SENT = "brokered.sms_sent"
    BROKERED_SMS_FAILED = "brokered.sms_failed"
    SHIELD_ADDED = "shield.added"
    SHIELD_UNSHIELD_REQUESTED = "shield.unshield_requested"
    SHIELD_LIFTED = "shield.lifted"
    SHIELD_REFUSED = "shield.refused"
    # Managers (review)
    MANAGER_PAGE_VIEWED = "manager.page_viewed"
    AUDIT_CHECKPOINTED = "audit.checkpointed"
    # Scheduled jobs (jobs) and operators' states (console)
    JOB_RAN = "job.ran"
    JOB_FAILED = "job.failed"
    OPERATOR_STATE_CHANGED = "operator.state_changed"
