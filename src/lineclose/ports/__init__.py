"""Protocols for every system outside Lineclose, and the errors adapters translate into."""
