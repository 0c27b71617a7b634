"""Option types shared by several subcommands."""

from typing import Annotated

import typer

from gantool.completion import DEVICES, choices
from gantool.errors import one_of
from gantool.kinds import PREFIXES

# Every command computes where train does by default: a CUDA GPU when there is one, else the CPU.
DeviceOption = Annotated[str, typer.Option(help="auto, cpu or cuda.", autocompletion=choices(*DEVICES))]

DataSetOption = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", metavar="data.KEY=VALUE",
                 help="Set an option of the dataset (repeatable): --set data.root=data/faces"),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", metavar="KIND.KEY=VALUE",
                 help=f"Set a component option; KIND is {one_of(PREFIXES)} (repeatable): --set gen.depth=32"),
]
