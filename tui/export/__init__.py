"""Exports: gather a snapshot from a database, render it as markdown or JSON (no screen)."""
