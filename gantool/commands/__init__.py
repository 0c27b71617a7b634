"""One module per group of subcommands; each has `add_to(app, registry)`."""
