"""Helpers that tests share: real servers to run against, on loopback only."""
