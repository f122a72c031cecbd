"""The alert parts of the config: the example's rules and notify blocks, secrets kept out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tui.config.models import ConfigError, parse_config

EXAMPLE = Path(__file__).resolve().parents[2] / "wootwatch.example.yaml"


def _uncomment(text: str, key: str) -> str:
    text = re.sub(rf"^{key}: .*\n", "", text, flags=re.MULTILINE)
    block = re.search(rf"^# {key}:\n(?:#   .*\n)+", text, flags=re.MULTILINE)
    assert block, f"the example shows no commented {key} block"
    return text.replace(block[0], re.sub(r"^# ?", "", block[0], flags=re.MULTILINE))


def test_the_examples_rules_block_is_valid_and_merges_with_the_defaults() -> None:
    text = _uncomment(_uncomment(EXAMPLE.read_text(encoding="utf-8"), "rules"), "notify")
    config = parse_config(text, str(EXAMPLE), env={"SLACK_WEBHOOK_URL": "https://hooks/x"})
    names = [rule.name for rule in config.effective_rules]
    assert "conversation_volume_spike" not in names and names[-1] == "reports_endpoint_slow"
    tuned = next(rule for rule in config.effective_rules if rule.name == "queue_depth_high")
    assert tuned.condition.value == 80
    assert config.notify.command is not None and config.notify.command.argv[0].startswith("/")


def test_a_bad_webhook_url_from_the_environment_is_never_echoed() -> None:
    text = "notify:\n  slack:\n    webhook_url: ${SLACK_WEBHOOK_URL}\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "w.yaml", env={"SLACK_WEBHOOK_URL": "hooks.example.com/T/B/sekrit"})
    assert "sekrit" not in str(caught.value)
    assert "notify.slack.webhook_url: must be an http(s) URL" in str(caught.value)


def test_bell_false_is_short_for_disabled() -> None:
    config = parse_config("notify:\n  bell: false\n", "w.yaml", env={})
    assert config.notify.bell.enabled is False
