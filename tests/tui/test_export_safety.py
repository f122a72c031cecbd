"""Untrusted text in an exported document: it renders as the text it is, never as markup."""

from __future__ import annotations

import pytest
from _export_db import HOSTILE, SECRET
from markdown_it import MarkdownIt
from markdown_it.token import Token

from collectors.inert import inert
from tui.config.models import WootwatchConfig
from tui.export.markdown_safe import cell, fenced, inline
from tui.export.redaction import MASK, Redactor, config_secrets

PIECES = [
    HOSTILE,
    "a|b",
    "``` fence ```",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "![img](https://evil.example/p.png)",
    "<https://evil.example>",
    "https://evil.example/a?b=c",
    "www.evil.com",
    "see evil.io and test.py",
    "mail amy@evil.example now",
    "\x1b[2J\x1b[31mred",
    "\x1b]52;c;ZXZpbA==\x07",
    "[bold red]not markup[/]",
    "- a list?",
    "+ another",
    "1. numbered",
    "# heading",
    "> quote",
    "***",
    "&amp; &#60;script&#62;",
    "line one\nline two\r\nthree",
    "trailing backslash \\",
    "\u2028separated\u2029",
]


def gfm() -> MarkdownIt:
    return MarkdownIt("gfm-like")


def walk(tokens: list[Token]) -> list[Token]:
    found = []
    for token in tokens:
        found.append(token)
        if token.children:
            found.extend(walk(token.children))
    return found


def expected(text: str) -> str:
    return inert(text).replace("\u2028", "\u2424").replace("\u2029", "\u2424")


@pytest.mark.parametrize("text", PIECES)
def test_inline_text_renders_as_exactly_that_text(text: str) -> None:
    tokens = walk(gfm().parse(f"- {inline(text)}"))
    inline_tokens = [t for t in tokens if t.type == "inline"]
    assert len(inline_tokens) == 1
    children = inline_tokens[0].children or []
    assert {t.type for t in children} <= {"text"}  # no link, html, code, emphasis, image
    assert "".join(t.content for t in children) == expected(text)
    assert not any(t.type in ("bullet_list_open",) for t in tokens[2:])  # no nested list


@pytest.mark.parametrize("text", PIECES)
def test_a_cell_stays_in_its_column(text: str) -> None:
    document = f"| a | b | c |\n| --- | --- | --- |\n| {cell(text)} | {cell(text)} | x |\n"
    tokens = walk(gfm().parse(document))
    assert len([t for t in tokens if t.type == "td_open"]) == 3
    first = [t for t in tokens if t.type == "inline"][3]
    children = first.children or []
    assert {t.type for t in children} <= {"text"}
    shown = "".join(t.content for t in children)
    assert shown == expected(text) if len(text) <= 240 else shown.endswith("…")


def test_a_long_cell_is_cut() -> None:
    rendered = cell("x" * 1000)
    assert len(rendered) < 300 and rendered.endswith("…")


def test_a_fence_is_longer_than_any_backtick_run_inside() -> None:
    lines = ["plain", "``` closes a short fence", "```````` eight", HOSTILE]
    block = fenced(lines)
    tokens = gfm().parse(f"{block}\n\nafter")
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 1
    assert (
        fences[0].content
        == "\n".join(inert(line, keep_newlines=True) for line in lines).replace("\u2028", "\u2424")
        + "\n"
    )
    assert block.startswith("`" * 9 + "text\n")
    assert [t.type for t in tokens][-3:] == ["paragraph_open", "inline", "paragraph_close"]


def test_escape_sequences_never_reach_the_document() -> None:
    text = inline(HOSTILE) + cell(HOSTILE) + fenced([HOSTILE])
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "␛[2J" in text and "␛]52;c;ZXZpbA==␇" in text


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("GET /x?api_access_token=abc123def&page=2", "api_access_token=[redacted]&page=2"),
        ('{"password": "hunter2!!"}', '"password": "[redacted]"'),
        ("Authorization: Bearer eyJhbGciOi.J9.xyz", "Authorization: [redacted]"),
        ("sent bearer 0a1b2c3d4e5f6a7b8c", "bearer [redacted]"),
        ("redis://:s3cr3tpass@redis.internal:6379/0", "redis://:[redacted]@redis.internal"),
        ("key AKIAIOSFODNN7EXAMPLE used", "key [redacted] used"),
    ],
)
def test_secret_shapes_are_masked(text: str, kept: str) -> None:
    redacted = Redactor()(text)
    assert kept in redacted


def test_ordinary_words_are_not_masked() -> None:
    text = "Bearer authentication failed for token refresh; basic information"
    assert Redactor()(text) == text


def test_every_secret_of_the_config_is_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    config = WootwatchConfig.model_validate(
        {
            "sources": [
                {
                    "type": "chatwoot",
                    "name": "cw",
                    "base_url": "https://chat.example.com",
                    "api_token": SECRET,
                },
                {
                    "type": "sidekiq",
                    "name": "sk",
                    "redis_url": "redis://:r3d1spassword@10.0.0.5:6379/0",
                },
            ],
            "notify": {
                "slack": {"webhook_url": "https://hooks.slack.com/services/T0/B0/XYZsecret"}
            },
        }
    )
    found = config_secrets(config)
    assert SECRET in found and "r3d1spassword" in found
    redact = Redactor(found)
    text = f"x {SECRET} y r3d1spassword z https://hooks.slack.com/services/T0/B0/XYZsecret"
    assert redact(text) == f"x {MASK} y {MASK} z {MASK}"
