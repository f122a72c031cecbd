"""The modal dialogs of the TUI: acknowledge, silence, export, an alert's history."""
