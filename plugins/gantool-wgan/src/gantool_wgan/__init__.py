"""gantool-wgan: Wasserstein-style training for gantool (WGAN-GP and a critic without batch norm)."""
