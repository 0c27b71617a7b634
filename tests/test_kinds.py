"""The table of part kinds is the one place a kind is declared: hooks, prefixes and messages follow it."""

from gantool import hookspecs
from gantool.errors import one_of
from gantool.kinds import KINDS, PREFIXES
from gantool.options import parse_set_arguments


def test_every_registering_hook_is_a_row_of_the_table() -> None:
    hooks = {name for name in vars(hookspecs) if name.startswith("register_") and name != "register_commands"}
    assert hooks == {kind.hook for kind in KINDS}


def test_names_prefixes_and_plurals_are_unique() -> None:
    for field in ("name", "prefix", "hook", "plural"):
        values = [getattr(kind, field) for kind in KINDS]
        assert len(set(values)) == len(values), field


def test_set_accepts_every_prefix() -> None:
    parsed = parse_set_arguments([f"{prefix}.x=1" for prefix in PREFIXES])
    assert all(parsed[prefix] == {"x": "1"} for prefix in PREFIXES)


def test_one_of_reads_as_a_sentence() -> None:
    assert one_of(["a"]) == "a"
    assert one_of(["a", "b", "c"]) == "a, b or c"
