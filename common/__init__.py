"""Shared, dependency-free helpers for the tax assistant (identifiers, normalisation)."""
