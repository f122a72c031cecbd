"""The headless commands: each module is one command's `run(args) -> exit code`.

`tui.cli` parses the command line and imports only the module of the command
it runs, so `wootwatch alerts` never pays for Textual, boto3 or the demo
stack. Nothing in this package imports Textual (an import contract checks).
"""
