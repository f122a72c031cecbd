"""The wootwatch application: command line, config, live views and export."""
