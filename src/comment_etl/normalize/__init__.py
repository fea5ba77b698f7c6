"""Normalization: text cleaning (vectorized in Arrow) and language detection (batched)."""
