"""Option types shared by several subcommands."""

from typing import Annotated

import typer

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", metavar="KIND.KEY=VALUE",
                 help="Set a component option; KIND is gen, disc, loss, data or aug (repeatable): --set gen.depth=32"),
]
