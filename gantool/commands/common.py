"""Option types shared by several subcommands."""

from typing import Annotated, Optional

import typer

SetOption = Annotated[
    Optional[list[str]],  # noqa: UP045 - typer reads Optional
    typer.Option("--set", "-s", metavar="KIND.KEY=VALUE",
                 help="Set a component option; KIND is gen, disc, loss or data (repeatable): --set gen.depth=32"),
]
