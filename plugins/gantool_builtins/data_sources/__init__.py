"""Torch code of the built-in datasets (imported only when a dataset factory is called)."""
