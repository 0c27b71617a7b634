"""Sample quality: Fréchet distance, KID, classifier scores and the extractors they use; `api.evaluate` is
`gantool.evaluate`."""
