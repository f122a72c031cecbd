"""Textual `.tcss` themes shipped as package data."""
