"""One module per ``semioscope`` subcommand (see ``app/cli.py`` for the contract)."""
