"""The thresholds of the rules in force, read in one place (issue 15)."""

from __future__ import annotations

from dataclasses import replace

from _tuned import tuned_rules

from tui.config.models import parse_config
from tui.data.thresholds import Limit, default_thresholds, gauge_bands, thresholds
from tui.export.health import judge, metric_specs
from tui.export.model import Level


def test_the_default_pack_gives_the_seed_numbers() -> None:
    limits = default_thresholds()
    assert (limits.backlog.warn, limits.backlog.crit) == (10, 20)
    assert gauge_bands(limits.sla) == (95, 85)
    assert gauge_bands(limits.message_sla) == (95, 95)
    assert (limits.queues.depth.warn, limits.queues.depth.crit) == (50, 100)
    assert (limits.queues.wait_s, limits.queues.failed_share) == (5.0, 0.10)
    assert thresholds([]) == limits


def test_a_config_moves_every_threshold_it_overrides() -> None:
    limits = thresholds(tuned_rules())
    assert (limits.backlog.warn, limits.backlog.crit) == (30, 60)
    assert gauge_bands(limits.sla) == (95, 70)
    assert (limits.queues.depth.warn, limits.queues.depth.crit) == (5000, 10000)
    assert limits.queues.wait_s == 5.0  # not overridden: the default pack's


def test_the_queue_levels_follow_the_rules() -> None:
    marks = default_thresholds().queues
    assert [marks.depth_level(v) for v in (50, 51, 101)] == ["ok", "warning", "error"]
    assert marks.wait_level(5.5) == "warning"
    assert marks.failures_level(11, 100) == "error"
    assert marks.failures_level(3, 0) == "ok"
    assert thresholds(tuned_rules()).queues.depth_level(885) == "ok"


def test_bands_follow_the_rules_comparison() -> None:
    sla = default_thresholds().sla
    assert [sla.band(v) for v in (95.0, 94.9, 85.0, 84.9, None)] == [
        "ok",
        "warning",
        "warning",
        "critical",
        None,
    ]
    assert Limit("x", ">", 10, 20).band(float("nan")) is None


def test_a_disabled_rule_still_lends_its_numbers_and_a_floor_above_the_target_lifts_it() -> None:
    config = parse_config(
        "rules:\n"
        "  - {name: chatwoot_pending_backlog, enabled: false}\n"
        "  - {name: chatwoot_sla_compliance_low, condition: {value: 97}}\n",
        "t.yaml",
    )
    limits = thresholds(config.effective_rules)
    assert (limits.backlog.warn, limits.backlog.crit) == (10, 20)
    assert gauge_bands(limits.sla) == (97, 97)


def test_the_export_judges_with_the_rules_own_comparison() -> None:
    """A `>=` rule marks the value at its level in the export as on screen (was judged as `>`)."""
    limits = default_thresholds()
    at_least = replace(limits, backlog=Limit("chatwoot_pending_backlog", ">=", 10, 20))
    (pending,) = [spec for spec in metric_specs(at_least) if spec.key == "pending"]
    assert at_least.backlog.band(10) == "warning"
    assert [judge(pending, v) for v in (9, 10, 20)] == [Level.OK, Level.WARNING, Level.CRITICAL]
