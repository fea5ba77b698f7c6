"""Dump format readers: one module per format, each yielding canonical records."""
