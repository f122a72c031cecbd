"""Config loading: good files load, every bad file says where and why, secrets stay hidden."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from collectors.alerts.notify import NotifyConfig
from collectors.base import SOURCE_MODULES
from collectors.demo import DemoConfig
from tui.config.models import (
    BusinessHours,
    ConfigError,
    ConfigProblem,
    WootwatchConfig,
    default_config_paths,
    find_config,
    load_config,
    parse_config,
)
from tui.config.yaml_reader import _secret_key

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures" / "config"
EXAMPLE = REPO / "wootwatch.example.yaml"
EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+)$")


def _expectations(path: Path) -> list[tuple[int, int, list[str]]]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = EXPECT.match(line)
        if match:
            found.append((int(match[1]), int(match[2]), match[3].split()))
    return found


def _problems(text: str, env: dict[str, str] | None = None) -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "test.yaml", env=env or {})
    return caught.value.problems


# --------------------------------------------------------------------------- bad files


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.yaml")), ids=lambda p: p.stem)
def test_bad_config_reports_every_problem_where_it_is(fixture: Path) -> None:
    expected = _expectations(fixture)
    assert expected, f"{fixture.name} has no '# expect: LINE:COL: words' line"

    with pytest.raises(ConfigError) as caught:
        load_config(fixture, env={"HOME": "/home/oncall"})
    error = caught.value

    assert str(error) == "\n".join(str(problem) for problem in error.problems)
    positions = [(problem.line, problem.column) for problem in error.problems]
    assert positions == sorted(positions)
    for problem in error.problems:
        assert str(problem).startswith(f"{fixture}:{problem.line}:{problem.column}: ")
        assert "\n" not in problem.message
        assert "Input should" not in problem.message
        assert "pydantic" not in problem.message
    for line, column, words in expected:
        here = [p.message for p in error.problems if (p.line, p.column) == (line, column)]
        assert here, f"no problem at {line}:{column}; got:\n{error}"
        assert any(all(word in message for word in words) for message in here), (
            f"expected {' '.join(words)!r} at {line}:{column}; got:\n{error}"
        )
    assert len(error.problems) == len(expected), f"unexpected extra problems:\n{error}"


def test_problem_and_error_format() -> None:
    problem = ConfigProblem("w.yaml", 3, 7, "theme: must be 'dark'")
    assert str(problem) == "w.yaml:3:7: theme: must be 'dark'"
    error = ConfigError([ConfigProblem("w.yaml", 9, 1, "b"), problem])
    assert error.problems == [problem, ConfigProblem("w.yaml", 9, 1, "b")]
    assert str(error) == "w.yaml:3:7: theme: must be 'dark'\nw.yaml:9:1: b"


# --------------------------------------------------------------------------- good files


GOOD = """\
database: data/wootwatch.db
refresh: 500ms
theme: high-contrast
retention:
  raw_max_age: 12h
  rollup_max_age: 30d
  raw_max_rows: 100000
sources:
  - type: demo
    name: chatwoot
    part: chatwoot
    interval: 1m30s
    timeout: 10s
  - type: demo
    name: sidekiq
    part: sidekiq
    enabled: false
rules:
  - name: chatwoot_api_slow
    series: chatwoot.api.latency_ms
    condition: {type: percentile, q: 0.99, window: 10m, value: 8000}
    for: 3 of 5
  - name: queue_depth_high
    condition: {value: 80}
notify:
  slack:
    webhook_url: https://hooks.example.com/T0/B0/x
    min_severity: error
business_hours:
  timezone: Europe/Berlin
  days: [Mon, tuesday, wed]
  start: 8:30
  end: 17:00
"""


def test_good_config_loads(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "wootwatch.yaml"
    path.parent.mkdir()
    path.write_text(GOOD, encoding="utf-8")

    config = load_config(path, env={})

    assert config.database == tmp_path / "etc" / "data" / "wootwatch.db"
    assert config.refresh == 0.5
    assert config.theme == "high-contrast"
    assert config.retention.raw_max_age == 12 * 3600
    assert config.retention.rollup_max_age == 30 * 86400
    assert config.retention.log_max_age == 7 * 86400  # default kept
    assert config.retention.raw_max_rows == 100_000
    first, second = config.sources
    assert isinstance(first, DemoConfig)
    assert (first.name, first.part, first.interval, first.poll_timeout) == (
        "chatwoot",
        "chatwoot",
        90.0,
        10.0,
    )
    assert isinstance(second, DemoConfig)
    assert (second.part, second.enabled, second.interval) == ("sidekiq", False, 5.0)
    new, override = config.rules
    assert (new.name, new.series, new.hold.checks, new.hold.of) == (
        "chatwoot_api_slow",
        "chatwoot.api.latency_ms",
        3,
        5,
    )
    assert override.condition.value == 80  # merged onto the default rule
    assert override.condition.type == "threshold" and override.severity == "warning"
    assert config.notify.slack is not None and config.notify.slack.min_severity == "error"
    assert config.business_hours == BusinessHours(
        timezone="Europe/Berlin", days=["mon", "tue", "wed"], start="08:30", end="17:00"
    )
    assert config.business_hours.zone.key == "Europe/Berlin"


def test_defaults() -> None:
    config = parse_config("theme: dark\n", "w.yaml", env={})
    assert config.database == Path("~/.local/share/wootwatch/wootwatch.db").expanduser()
    assert config.refresh == 2.0
    assert config.sources == []
    assert config.rules == []
    assert config.notify == NotifyConfig()
    assert config.business_hours is None
    assert BusinessHours().days == ["mon", "tue", "wed", "thu", "fri"]
    assert (BusinessHours().start, BusinessHours().end) == ("09:00", "18:00")


def test_database_tilde_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = parse_config("database: ~/watch/w.db\n", "/etc/w.yaml", env={"HOME": "/home/x"})
    assert config.database == Path("/home/x/watch/w.db")
    monkeypatch.setenv("HOME", str(tmp_path))
    config = parse_config("database: ~/watch/w.db\n", "/etc/w.yaml", env={})
    assert config.database == tmp_path / "watch" / "w.db"


def test_absolute_database_is_kept() -> None:
    config = parse_config("database: /var/lib/w.db\n", "/etc/wootwatch.yaml", env={})
    assert config.database == Path("/var/lib/w.db")


def test_relative_database_follows_the_path_given_to_parse() -> None:
    config = parse_config("database: w.db\n", "/srv/watch/wootwatch.yaml", env={})
    assert config.database == Path("/srv/watch/w.db")


def test_empty_top_level_key_means_default() -> None:
    config = parse_config("sources:\nnotify:\nrules:\ntheme:\nbusiness_hours:\n", "w.yaml", env={})
    assert (config.sources, config.notify, config.rules, config.theme) == (
        [],
        NotifyConfig(),
        [],
        "dark",
    )
    assert config.business_hours is None


def test_anchors_under_x_keys_can_be_merged() -> None:
    text = """\
x-fast: &fast
  interval: 2s
  seed: 11
sources:
  - <<: *fast
    type: demo
    name: a
    seed: 12
"""
    (source,) = parse_config(text, "w.yaml", env={}).sources
    assert isinstance(source, DemoConfig)
    assert (source.interval, source.seed) == (2.0, 12)


def test_base_60_numbers_stay_times() -> None:
    """YAML 1.1 reads an unquoted 18:00 as 1080; business hours must see 18:00."""
    config = parse_config("business_hours:\n  start: 7:05\n  end: 18:00\n", "w.yaml", env={})
    assert config.business_hours is not None
    assert (config.business_hours.start, config.business_hours.end) == ("07:05", "18:00")


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_bytes(b"\xef\xbb\xbftheme: light\n")
    assert load_config(path, env={}).theme == "light"


def test_duplicate_source_names_rejected_without_yaml_too() -> None:
    with pytest.raises(ValidationError, match="duplicate source name 'a'"):
        WootwatchConfig(sources=[DemoConfig(name="a"), DemoConfig(name="a", part="aws")])


# --------------------------------------------------------------------------- environment


def test_env_interpolation_default_and_escape() -> None:
    text = """\
database: ${DATA_DIR}/w.db
theme: ${THEME:-light}
rules:
  - {name: a, series: s, summary: "${EMPTY:-fallback}"}
  - {name: b, series: s, summary: "${SET:-unused}"}
  - {name: c, series: s, summary: "$${NOT_A_VAR} costs $$5"}
  - {name: d, series: s, summary: "${A}-${B:-b}-$${C}"}
  - {name: e, series: s, summary: "${EMPTY}"}
"""
    env = {"DATA_DIR": "/srv/watch", "EMPTY": "", "SET": "given", "A": "a"}
    config = parse_config(text, "w.yaml", env=env)
    assert config.database == Path("/srv/watch/w.db")
    assert config.theme == "light"
    assert [rule.summary for rule in config.rules] == [
        "fallback",
        "given",
        "${NOT_A_VAR} costs $$5",
        "a-b-${C}",
        "",
    ]


def test_env_interpolation_applies_to_strings_only() -> None:
    text = "rules:\n  - {name: a, series: s, labels: {'${KEY}': '${KEY}'}}\n"
    config = parse_config(text, "w.yaml", env={"KEY": "k"})
    assert config.rules[0].labels == {"${KEY}": "k"}


def test_interpolated_value_coerced_like_a_literal() -> None:
    text = "refresh: ${REFRESH}\nsources:\n  - type: demo\n    name: d\n    seed: ${SEED}\n"
    config = parse_config(text, "w.yaml", env={"REFRESH": "5s", "SEED": "42"})
    assert config.refresh == 5.0
    assert isinstance(config.sources[0], DemoConfig)
    assert config.sources[0].seed == 42


def test_every_missing_variable_is_reported() -> None:
    text = "database: ${DIR}/w.db\nnotify:\n  slack:\n    webhook_url: ${SLACK_WEBHOOK_URL}\n"
    problems = _problems(text)
    assert [(p.line, p.column, p.message) for p in problems] == [
        (1, 11, "database: environment variable DIR is not set"),
        (
            4,
            18,
            "notify.slack.webhook_url: environment variable SLACK_WEBHOOK_URL is not set",
        ),
    ]


SECRET = "hunter2 very secret"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("refresh: ${S}\n", "refresh: invalid duration (value from ${S})"),
        (
            "theme: ${S}\n",
            "theme: must be 'dark', 'light' or 'high-contrast', not (value from ${S})",
        ),
        ("sources:\n  - type: ${S}\n    name: a\n", "unknown source type (value from ${S})"),
        ("sources:\n  - type: demo\n    name: ${S}\n", "must use only letters, digits"),
        ("business_hours:\n  timezone: ${S}\n", "unknown time zone (value from ${S})"),
        ("business_hours:\n  end: ${S}\n", "invalid time (value from ${S})"),
        ("retention:\n  raw_max_rows: ${S}\n", "must be a whole number, not (value from ${S})"),
        ("sources:\n  - type: demo\n    name: x\n    part: p${S}\n", "not (value from ${S})"),
    ],
)
def test_interpolated_values_are_never_echoed(text: str, expected: str) -> None:
    message = "\n".join(str(problem) for problem in _problems(text, {"S": SECRET}))
    assert expected in message
    assert "hunter2" not in message


def test_interpolated_duplicate_name_is_not_echoed() -> None:
    text = "sources:\n  - type: demo\n    name: prod-db\n  - type: demo\n    name: ${NAME}\n"
    (problem,) = _problems(text, {"NAME": "prod-db"})
    assert (problem.line, problem.column) == (5, 11)
    assert problem.message == (
        "sources[1].name: duplicate source name (value from ${NAME}); the first is on line 3"
    )


def test_credentials_in_urls_are_never_echoed() -> None:
    text = "sources:\n  - type: demo\n    name: https://ops:hunter2@chat.example.com\n"
    message = str(_problems(text)[0])
    assert "hunter2" not in message
    assert "(value hidden)" in message


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("token", True),
        ("api_token", True),
        ("apiKey", True),
        ("access_key_id", True),
        ("password", True),
        ("client_secret", True),
        ("webhook_url", True),
        ("slackWebhook", True),
        ("name", False),
        ("interval", False),
        ("url", False),
        ("monkey", False),
        (3, False),
    ],
)
def test_secret_looking_keys(key: object, secret: bool) -> None:
    assert _secret_key(key) is secret


# --------------------------------------------------------------------------- odd input


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 7):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    (problem,) = _problems("\n".join(lines) + "\n")
    assert "too many values" in problem.message


def test_non_string_keys() -> None:
    problems = _problems("1: x\nnotify:\n  2: y\n? [a]\n: z\n")
    assert [(p.line, p.column) for p in problems] == [(1, 1), (3, 3), (4, 3)]
    assert "key 1 must be text" in problems[0].message
    assert "notify: key 2 must be text" in problems[1].message
    assert "a key must be a plain value" in problems[2].message


def test_control_character_is_a_problem_not_a_crash() -> None:
    (problem,) = _problems("theme: da\x00rk\n")
    assert (problem.line, problem.column) == (1, 10)
    assert "U+0000" in problem.message


# --------------------------------------------------------------------------- files


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert str(caught.value) == f"{path}:1:1: config file not found"


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path, env={})


def test_unreadable_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text("theme: dark\n")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert str(caught.value) == f"{path}:1:1: permission denied: cannot read the config file"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"theme: dark\nnotify:\n  note: caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    (problem,) = caught.value.problems
    assert (problem.path, problem.line, problem.column) == (str(path), 3, 12)
    assert "not UTF-8" in problem.message
    assert "0xe9" in problem.message


# --------------------------------------------------------------------------- finding


def test_default_config_paths_order(tmp_path: Path) -> None:
    env = {"WOOTWATCH_CONFIG": "/etc/ww.yaml", "HOME": "/home/oncall"}
    assert default_config_paths(env, cwd=tmp_path) == [
        Path("/etc/ww.yaml"),
        tmp_path / "wootwatch.yaml",
        Path("/home/oncall/.config/wootwatch/config.yaml"),
    ]
    assert default_config_paths({"HOME": "/h", "WOOTWATCH_CONFIG": ""}, cwd=tmp_path) == [
        tmp_path / "wootwatch.yaml",
        Path("/h/.config/wootwatch/config.yaml"),
    ]


def test_find_config_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    user_config = home / ".config" / "wootwatch" / "config.yaml"
    user_config.parent.mkdir(parents=True)
    work.mkdir()
    monkeypatch.chdir(work)
    env = {"HOME": str(home)}

    assert find_config(None, env) is None
    user_config.write_text("theme: dark\n")
    assert find_config(None, env) == user_config
    (work / "wootwatch.yaml").write_text("theme: dark\n")
    assert find_config(None, env) == work / "wootwatch.yaml"
    from_env = tmp_path / "from-env.yaml"
    env["WOOTWATCH_CONFIG"] = str(from_env)
    from_env.write_text("theme: dark\n")
    assert find_config(None, env) == from_env
    env["WOOTWATCH_CONFIG"] = ""
    assert find_config(None, env) == work / "wootwatch.yaml"  # empty means unset
    assert find_config(str(tmp_path / "explicit.yaml"), env) == tmp_path / "explicit.yaml"


def test_missing_wootwatch_config_is_returned_not_skipped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A set $WOOTWATCH_CONFIG naming no file must not fall through to ./wootwatch.yaml."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wootwatch.yaml").write_text("theme: dark\n")
    missing = tmp_path / "gone.yaml"
    env = {"HOME": str(tmp_path), "WOOTWATCH_CONFIG": str(missing)}

    assert find_config(None, env) == missing
    with pytest.raises(ConfigError) as caught:
        load_config(missing, env=env)
    assert str(caught.value) == f"{missing}:1:1: config file not found"
    assert find_config(str(tmp_path / "wootwatch.yaml"), env) == tmp_path / "wootwatch.yaml"


def test_find_config_expands_tilde() -> None:
    env = {"HOME": "/home/oncall"}
    assert find_config("~/ww.yaml", env) == Path("/home/oncall/ww.yaml")
    env["WOOTWATCH_CONFIG"] = "~/ww.yaml"
    assert default_config_paths(env, cwd=Path("/"))[0] == Path("/home/oncall/ww.yaml")


# --------------------------------------------------------------------------- example


def test_example_config_loads_cleanly() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    env = {name: "x" for name in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text)}
    env["HOME"] = "/home/oncall"
    config = load_config(EXAMPLE, env=env)
    assert {source.type for source in config.sources} == set(SOURCE_MODULES)


def test_example_config_still_loads_with_comments_removed() -> None:
    """Uncommenting the optional blocks (notify, business_hours) gives a valid file too."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for key in ("notify", "business_hours"):
        text = re.sub(rf"^{key}: .*\n", "", text, flags=re.MULTILINE)
        block = re.search(rf"^# {key}:\n(?:#   .*\n)+", text, flags=re.MULTILINE)
        assert block, f"the example shows no commented {key} block"
        text = text.replace(block[0], re.sub(r"^# ?", "", block[0], flags=re.MULTILINE))
    config = parse_config(text, str(EXAMPLE), env={"SLACK_WEBHOOK_URL": "https://hooks/x"})
    assert config.notify.slack is not None
    assert config.notify.slack.webhook_url.get_secret_value() == "https://hooks/x"
    assert config.business_hours == BusinessHours()


def test_example_documents_every_key_and_source_type() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for key in WootwatchConfig.model_fields:
        assert re.search(rf"^#? ?{key}:", text, flags=re.MULTILINE), key
    for source_type in SOURCE_MODULES:
        assert f"type: {source_type}" in text
    assert "${SLACK_WEBHOOK_URL}" in text


# --------------------------------------------------------------------------- boundaries


def test_config_module_does_not_import_textual() -> None:
    code = "import sys, tui.config.models; sys.exit('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr or "tui.config.models imported textual"
