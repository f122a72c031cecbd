"""The Chatwoot source's pure parsers, on payloads saved in the real server's shapes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from collectors.base import Sample
from collectors.business_hours import WorkingHours
from collectors.chatwoot.parse import (
    Conversation,
    ParseError,
    channel_label,
    error_text,
    parse_account_features,
    parse_agents,
    parse_api_health,
    parse_conversation_metrics,
    parse_conversation_page,
    parse_conversations_meta,
    parse_health,
    parse_inboxes,
    parse_report_conversations,
    parse_sla_metrics,
    parse_sla_policies,
    parse_summary,
)
from collectors.chatwoot.sla import (
    channel_samples,
    new_per_hour,
    recommended_agents,
    sla_report,
    sla_samples,
)

FIXTURES = Path(__file__).parent / "fixtures" / "chatwoot"
NOW = 1781690400.0  # 2026-06-17 10:00:00 UTC, a Wednesday: the fixtures' "now"
HOSTILE = "Mallory \x1b[2J\x1b]0;pwned\x07[red]x[/red]"


def load(name: str) -> object:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def by_key(samples: list[Sample]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.series, tuple(sorted(s.labels.items()))): s.value for s in samples}


# --------------------------------------------------------------------------- health


def test_api_health_reads_version_and_both_services() -> None:
    health = parse_api_health(load("api_ok.json"))
    assert (health.version, health.queue_ok, health.data_ok, health.ok) == (
        "4.15.1",
        True,
        True,
        True,
    )


def test_api_health_failing_queue_is_not_ok_although_http_200() -> None:
    health = parse_api_health(load("api_queue_failing.json"))
    assert not health.queue_ok and health.data_ok and not health.ok


def test_health_endpoint_says_woot() -> None:
    assert parse_health(load("health.json")) is True
    assert parse_health({}) is False


# --------------------------------------------------------------------------- counts


def test_live_metrics_have_pending() -> None:
    counts = parse_conversation_metrics(load("live_conversation_metrics.json"))
    assert (counts.open, counts.unattended, counts.unassigned, counts.pending) == (5, 2, 1, 4)


def test_report_conversations_pending_is_dropped_because_the_server_always_says_0() -> None:
    counts = parse_report_conversations(load("reports_conversations.json"))
    assert counts.pending is None and counts.open == 5 and counts.unattended == 2


def test_conversations_meta_has_no_data_wrapper() -> None:
    meta = parse_conversations_meta(load("conversations_meta.json"))
    assert (meta.all, meta.assigned, meta.unassigned) == (10, 7, 3)


# --------------------------------------------------------------------------- conversations


def test_conversation_page_follows_the_real_server_not_the_spec() -> None:
    page = parse_conversation_page(load("conversations_page.json"))
    assert page.items == 7 and page.skipped == 1  # 107 has no created_at
    convs = {c.display_id: c for c in page.conversations}
    waiting = convs[101]
    assert waiting.first_reply_at is None  # the server wrote 0
    assert waiting.waiting_since == NOW - 600
    assert waiting.updated_at == pytest.approx(NOW - 600 + 0.412345)  # a float
    assert convs[103].first_reply_at == NOW - 7200 + 300 and convs[103].waiting_since is None
    assert convs[104].status == "snoozed"  # the spec's enum has no snoozed
    assert convs[104].channel == "twilio_sms" and convs[101].channel == "web_widget"


def test_customer_names_are_kept_as_given() -> None:
    page = parse_conversation_page(load("conversations_page.json"))
    names = {c.display_id: c.customer for c in page.conversations}
    assert names[102] == HOSTILE and names[104] == "Chloé Müller"


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ([], "conversations: expected an object, got a list"),
        ({"data": None}, "conversations.data: expected an object, got null"),
        ({"data": {"payload": {}}}, "conversations.data.payload: expected a list"),
    ],
)
def test_a_page_of_the_wrong_shape_says_which_field(payload: object, words: str) -> None:
    with pytest.raises(ParseError, match=words):
        parse_conversation_page(payload)


def test_channel_labels() -> None:
    assert channel_label("Channel::WebWidget") == "web_widget"
    assert channel_label("Channel::TwilioSms") == "twilio_sms"
    assert channel_label("Channel::Api") == "api"
    assert channel_label("Channel::\x1b[31m") == "unknown"
    assert channel_label("") == "unknown"


# ------------------------------------------------------------------ agents, inboxes, account


def test_agents_are_counted_from_the_plain_array() -> None:
    assert parse_agents(load("agents.json")) == {"online": 2, "busy": 1, "offline": 2}
    assert parse_agents([{"availability_status": "on vacation"}]) == {
        "online": 0,
        "busy": 0,
        "offline": 1,
    }


def test_inboxes_keep_names_and_map_channel_types() -> None:
    inboxes = parse_inboxes(load("inboxes.json"))
    assert inboxes[2].channel == "email" and inboxes[4].channel == "instagram"
    assert inboxes[3].name == "SMS \x1b[31mred\x1b[0m [bold]line[/bold]"


def test_account_features() -> None:
    features = parse_account_features(load("account.json"))
    assert "sla" in features and "custom_roles" not in features
    assert parse_account_features({"features": None}) == frozenset()


# --------------------------------------------------------------------------- reports


def test_summary_has_current_and_previous_and_skips_null_averages() -> None:
    values = by_key(parse_summary(load("reports_summary.json"), NOW))
    assert values["chatwoot.report.avg_first_response_s", (("period", "current"),)] == 93.5
    assert values["chatwoot.report.conversations", (("period", "previous"),)] == 8
    assert values["chatwoot.report.avg_resolution_s", (("period", "previous"),)] == 3600
    assert ("chatwoot.report.avg_first_response_s", (("period", "previous"),)) not in values


def test_summary_accepts_numbers_written_as_text_like_the_spec_says() -> None:
    values = by_key(parse_summary({"avg_first_response_time": "12.5"}, NOW))
    assert values["chatwoot.report.avg_first_response_s", (("period", "current"),)] == 12.5
    notes: list[str] = []
    values = by_key(
        parse_summary({"avg_resolution_time": "soon", "conversations_count": 4}, NOW, notes)
    )
    assert notes == ["reports/summary.avg_resolution_time: 'soon' is not a number"]
    assert values == {("chatwoot.report.conversations", (("period", "current"),)): 4}


def test_sla_policies_and_metrics_hit_rate_is_text() -> None:
    policies = parse_sla_policies(load("sla_policies.json"))
    assert [(p.name, p.first_response_s) for p in policies] == [("Standard", 900.0), ("VIP", None)]
    values = by_key(parse_sla_metrics(load("applied_slas_metrics.json"), NOW))
    assert values["chatwoot.sla.hit_rate_pct", ()] == 92.5
    assert values["chatwoot.sla.applied", ()] == 40 and values["chatwoot.sla.misses", ()] == 3
    notes: list[str] = []
    values = by_key(
        parse_sla_metrics(
            {"total_applied_slas": 1, "number_of_sla_misses": 0, "hit_rate": "n/a"}, NOW, notes
        )
    )
    assert notes == ["applied_slas/metrics.hit_rate: 'n/a' is not text like '92.5%'"]
    assert values == {("chatwoot.sla.applied", ()): 1, ("chatwoot.sla.misses", ()): 0}


# --------------------------------------------------------------------------- out of range


def test_a_negative_fractional_count_is_dropped_with_a_note_and_the_rest_kept() -> None:
    """Issue 13: `all_count: -26344906.83` was stored as -26,344,906 open conversations."""
    notes: list[str] = []
    payload = {"meta": {"all_count": -26344906.83, "assigned_count": 7, "unassigned_count": 2.5}}
    meta = parse_conversations_meta(payload, notes)
    assert (meta.all, meta.assigned, meta.unassigned) == (None, 7, None)
    assert notes == [
        "conversations/meta.meta.all_count: -26344906.83 is not a count (negative)",
        "conversations/meta.meta.unassigned_count: 2.5 is not a count (fractional)",
    ]


def test_a_huge_integer_or_a_non_finite_number_is_dropped_not_raised() -> None:
    """Issue 13: a 401-digit integer raised OverflowError."""
    notes: list[str] = []
    counts = parse_conversation_metrics(
        {"open": 10**400, "unattended": float("nan"), "unassigned": 1e300, "pending": 3}, notes
    )
    assert (counts.open, counts.unattended, counts.unassigned, counts.pending) == (
        None,
        None,
        None,
        3,
    )
    assert notes[0] == "conversation_metrics.open: a 401-digit integer is too large"
    assert notes[1] == "conversation_metrics.unattended: nan is not a finite number"
    assert notes[2] == "conversation_metrics.unassigned: 1e+300 is too large"


def test_a_hit_rate_over_100_percent_is_dropped() -> None:
    """Issue 13: an SLA hit_rate of 150 % was stored as a percentage."""
    for rate in ("150%", 150, -1):
        notes: list[str] = []
        samples = parse_sla_metrics(
            {"total_applied_slas": 4, "number_of_sla_misses": 1, "hit_rate": rate}, NOW, notes
        )
        assert "chatwoot.sla.hit_rate_pct" not in {s.series for s in samples}
        assert notes[0].startswith("applied_slas/metrics.hit_rate: ")
        assert notes[0].endswith("is not a percentage (0-100)")


def _page(**conversation: object) -> dict[str, object]:
    good = {"id": 8, "inbox_id": 1, "status": "open", "created_at": NOW - 600}
    return {"data": {"meta": {}, "payload": [{**good, "id": 7, **conversation}, good]}}


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (1e12, "1000000000000.0 is in the future"),
        (NOW + 300 * 365 * 86400, "is in the future"),
        (NOW - 3600, "1781686800.0 is before created_at"),
    ],
)
def test_a_reply_in_the_future_or_before_its_conversation_is_not_judged(
    reply: float, why: str
) -> None:
    """Issue 13: a reply before its conversation counted as met in 0 s; 1e12 raised ValueError."""
    payload = _page(first_reply_created_at=reply)
    page = parse_conversation_page(payload, NOW)
    assert page.skipped == 1 and page.reason.endswith(why)
    assert page.reason.startswith("conversation 7.first_reply_created_at: ")
    assert [c.display_id for c in page.conversations] == [8]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("error_401_bad_token.json", "Invalid Access Token"),
        ("error_401_no_token.json", "You need to sign in or sign up before continuing."),
        ("error_401_role.json", "You are not authorized to do this action"),
    ],
)
def test_error_text_of_401_bodies(name: str, text: str) -> None:
    assert error_text(load(name)) == text


def test_error_text_is_one_bounded_line() -> None:
    text = error_text({"error": "line one\nline two " + "x" * 500})
    assert "\n" not in text and len(text) <= 160 and text.startswith("line one line two")
    assert error_text("Retry later\n") == "" and error_text(None) == ""


# --------------------------------------------------------------------------- business hours


def utc(*args: int) -> float:
    return dt.datetime(*args, tzinfo=dt.UTC).timestamp()


def test_working_seconds_skip_nights_and_weekends() -> None:
    hours = WorkingHours("UTC", frozenset(range(5)), 9 * 60, 17 * 60)
    # Friday 16:00 to Monday 10:00: one hour on Friday, one on Monday.
    assert hours.seconds_between(utc(2026, 6, 19, 16), utc(2026, 6, 22, 10)) == 7200
    assert hours.seconds_between(utc(2026, 6, 20, 10), utc(2026, 6, 20, 12)) == 0  # Saturday
    assert hours.seconds_between(utc(2026, 6, 17, 12), utc(2026, 6, 17, 11)) == 0


def test_working_seconds_of_centuries_and_of_impossible_times() -> None:
    """Issue 13: 1e12 raised `year 33658 is out of range`; 300 years walked day by day."""
    monday = utc(2026, 6, 15, 0)
    weeks = 300 * 52
    for zone in ("UTC", "America/New_York"):  # New York changes its clocks at 2 a.m.: no effect
        hours = WorkingHours(zone, frozenset(range(5)), 9 * 60, 17 * 60)
        assert hours.seconds_between(monday, monday + weeks * 7 * 86400) == weeks * 5 * 8 * 3600
    night = WorkingHours("America/New_York", frozenset(range(7)), 0, 24 * 60 - 1)
    one_year = night.seconds_between(utc(2026, 1, 1, 12), utc(2027, 1, 1, 12))
    assert one_year == 365 * (24 * 3600 - 60)  # the hour lost in March comes back in November
    for end in (1e12, 1e300, float("inf"), float("nan")):
        assert 0 <= night.seconds_between(NOW, end) < 10_000 * 365 * 86400
    assert night.seconds_between(-1e18, NOW) > 0


def test_working_seconds_follow_the_time_zone_across_a_dst_change() -> None:
    hours = WorkingHours("America/New_York", frozenset(range(7)), 0, 24 * 60 - 1)
    # 2026-03-08 is the spring-forward Sunday in New York: that local day is 23 h long.
    start = dt.datetime(2026, 3, 8, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))).timestamp()
    assert hours.seconds_between(start, start + 23 * 3600) == 23 * 3600 - 60


# --------------------------------------------------------------------------- SLA


def page_conversations() -> list[Conversation]:
    return parse_conversation_page(load("conversations_page.json")).conversations


def test_sla_judges_replies_and_waits_against_the_target() -> None:
    report = sla_report(
        page_conversations(),
        now=NOW,
        window=86400,
        target=900,
        hours=None,
        inbox_names={2: "Support email"},
    )
    assert (report.met, report.breached, report.waiting, report.unreplied_resolved) == (1, 2, 1, 1)
    assert report.compliance_pct == pytest.approx(100 / 3)
    assert [(b.display_id, b.waited_s, b.replied) for b in report.breaches] == [
        (102, 3600.0, False),  # not replied yet (0): still waiting, past the target
        (104, 1800.0, True),  # replied after 30 minutes
    ]
    assert report.breaches[0].inbox == "Support email" and report.breaches[0].customer == HOSTILE
    assert report.breaches[1].inbox == "inbox 3"  # name not known: the id
    assert 106 not in report.first_responses  # created before the window


def test_sla_counts_only_business_hours_when_set() -> None:
    utc_hours = WorkingHours("UTC", frozenset(range(5)), 9 * 60, 18 * 60)
    report = sla_report(
        page_conversations(), now=NOW, window=86400, target=900, hours=utc_hours, inbox_names={}
    )
    # 104 was created at 08:30 and answered at 09:00 UTC: no working time passed.
    assert (report.met, report.breached, report.waiting) == (2, 1, 1)
    assert [b.display_id for b in report.breaches] == [102]
    new_york = WorkingHours("America/New_York", frozenset(range(5)), 9 * 60, 17 * 60)
    night = sla_report(
        page_conversations(), now=NOW, window=86400, target=900, hours=new_york, inbox_names={}
    )
    assert night.breached == 0 and night.compliance_pct == 100.0  # 06:00 in New York


def test_sla_samples_carry_the_breach_list_as_labels() -> None:
    report = sla_report(
        page_conversations(), now=NOW, window=86400, target=900, hours=None, inbox_names={}
    )
    samples = sla_samples(report, NOW)
    rows = [s for s in samples if s.series == "chatwoot.sla.breach_wait_s"]
    assert [dict(s.labels) for s in rows] == [
        {"conversation": "102", "inbox": "inbox 2", "customer": HOSTILE, "replied": "no"},
        {"conversation": "104", "inbox": "inbox 3", "customer": "Chloé Müller", "replied": "yes"},
    ]
    values = by_key(samples)
    assert values["chatwoot.sla.compliance_pct", ()] == pytest.approx(33.333)
    assert values["chatwoot.sla.target_s", ()] == 900


def test_no_judged_conversation_means_full_compliance() -> None:
    report = sla_report([], now=NOW, window=86400, target=900, hours=None, inbox_names={})
    assert report.compliance_pct == 100.0 and report.breaches == []


def test_channel_breakdown_volume_and_mean_first_response() -> None:
    convs = page_conversations()
    report = sla_report(convs, now=NOW, window=86400, target=900, hours=None, inbox_names={})
    values = by_key(channel_samples(convs, report, now=NOW, window=86400, inbox_channels={}))
    assert values["chatwoot.channel.conversations", (("channel", "web_widget"),)] == 3
    assert values["chatwoot.channel.conversations", (("channel", "email"),)] == 1  # 106 is older
    assert values["chatwoot.channel.first_response_s", (("channel", "web_widget"),)] == 300
    assert values["chatwoot.channel.first_response_s", (("channel", "twilio_sms"),)] == 1800
    assert ("chatwoot.channel.first_response_s", (("channel", "email"),)) not in values


def test_new_per_hour_and_capacity_bands() -> None:
    assert new_per_hour(page_conversations(), NOW) == 2  # 101 and 102 (created 1 h ago)
    assert [recommended_agents(n) for n in (0, 49, 50, 100, 101, 200, 201, 400)] == [
        1,
        1,
        3,
        3,
        5,
        5,
        6,
        10,
    ]
