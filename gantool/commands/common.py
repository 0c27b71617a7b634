"""Option types shared by several subcommands."""

from typing import Annotated

import typer

from gantool.errors import one_of
from gantool.kinds import PREFIXES

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", metavar="KIND.KEY=VALUE",
                 help=f"Set a component option; KIND is {one_of(PREFIXES)} (repeatable): --set gen.depth=32"),
]
