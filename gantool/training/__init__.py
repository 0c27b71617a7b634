"""Training: the shared loop and everything a run needs while it trains (batches, EMA, schedules, stopping,
health, signals, devices, processes, progress, checkpoint state); `api.train` is `gantool.train`."""
