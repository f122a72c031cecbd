"""A config that moves the thresholds of the backlog, SLA and queue-depth rules (issue 15)."""

from __future__ import annotations

from collectors.alerts.rules import Rule
from tui.config.models import parse_config

TUNED_YAML = """\
rules:
  - name: queue_depth_high
    condition: {value: 5000}
    escalate: [{severity: error, value: 10000}]
  - name: chatwoot_pending_backlog
    condition: {value: 30}
    escalate: [{severity: critical, value: 60}]
  - name: chatwoot_sla_compliance_low
    condition: {value: 70}
"""
"""More than 5,000 jobs is deep, more than 30 pending a backlog, below 70 % critical."""


def tuned_rules() -> list[Rule]:
    """The effective rules of the tuned config."""
    return parse_config(TUNED_YAML, "tuned.yaml").effective_rules
