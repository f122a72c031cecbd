from __future__ import annotations

from widgets.vocab import format_value


def test_bytes_read_in_binary_prefixes() -> None:
    assert format_value(512, "bytes") == "512B"
    assert format_value(1536, "bytes") == "1.5KB"
    assert format_value(3 * 1024**3, "bytes") == "3.0GB"
    assert format_value(5 * 1024**5, "bytes") == "5120.0TB"
