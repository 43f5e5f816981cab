"""The `qrgate` command: one subcommand a module, each with --json for scripts."""
