"""Hyperparameter sweeps on Optuna (`gantool sweep`): the space file, the study and its storage, the trials (each an
ordinary `gantool train` run in its own process) and the report. Optuna is imported only when a sweep runs."""
