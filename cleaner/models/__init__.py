"""Fitted model files shipped with the package (each names its version and training data inside)."""
