"""When each scheduled job last ran, so that a daily job runs once a day however often asked."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from desk.core.extensions import Model
from desk.core.types import UTCDateTime


class ScheduledJob(Model):
    """One job of `jobs run-due`, by name: its last run and how that went."""

    __tablename__ = "scheduled_jobs"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_outcome: Mapped[str] = mapped_column(String(20))
