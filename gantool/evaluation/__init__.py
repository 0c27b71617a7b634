"""Offline sample-quality measures: Fréchet distance, classifier scores, and the extractors they use."""
