"""Benchmarks: scripts that print numbers (no assertions; tests never time anything)."""
