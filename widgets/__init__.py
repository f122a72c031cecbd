"""Reusable Textual widgets that draw plain data (lists of floats, dataclasses)."""
