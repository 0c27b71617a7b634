"""gantool's built-in plugins: architectures, losses and datasets, registered like any third party's."""
