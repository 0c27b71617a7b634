"""gantool-wgan: Wasserstein-style training for gantool (hinge loss, WGAN-GP, a critic without batch norm)."""
