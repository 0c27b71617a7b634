"""The click exceptions Typer raises: vendored as `typer._click` since Typer 0.2x, the click package before."""

try:
    from typer._click import exceptions
except ImportError:  # older Typer depends on click itself
    from click import exceptions  # type: ignore[no-redef]

__all__ = ["exceptions"]
