"""Torch modules of the built-in architectures (imported only when a factory is called)."""
