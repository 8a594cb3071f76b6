"""The officers' backlog as metrics, computed when Prometheus scrapes: unanswered reports per commune.

"Unanswered" is the queue's own rule (reports.models.is_overdue): still open and no first answer yet. One
grouped query over the open reports (``ix_report_commune_status``), whatever the number of communes. Labels are
the commune's code (an administrative unit, public) and the urgency: nothing about who sent what.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from ..communes.models import Commune
from ..extensions import db
from ..reports.models import Report, is_open


class UnansweredReports(Collector):
    """``binhan_unanswered_reports`` and ``binhan_unanswered_report_age_seconds`` (the oldest one's wait)."""

    def collect(self) -> Iterator[Metric]:
        count = GaugeMetricFamily(
            "binhan_unanswered_reports",
            "Open reports with no answer yet, by commune and urgency",
            labels=["commune", "urgency"],
        )
        age = GaugeMetricFamily(
            "binhan_unanswered_report_age_seconds",
            "How long the oldest unanswered report of the commune has waited since it reached the server",
            labels=["commune", "urgency"],
        )
        rows = db.session.execute(
            select(Commune.code, Report.urgency, func.count(), func.min(Report.received_at))
            .join(Commune, Commune.id == Report.commune_id)
            .where(is_open(), Report.first_response_at.is_(None))
            .group_by(Commune.code, Report.urgency)
        )
        now = datetime.now(UTC)
        for code, urgency, number, oldest in rows:
            labels = [code, str(urgency.value if hasattr(urgency, "value") else urgency)]
            count.add_metric(labels, number)
            if oldest is not None:
                oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
                age.add_metric(labels, max(0.0, (now - oldest).total_seconds()))
        db.session.rollback()
        yield count
        yield age
