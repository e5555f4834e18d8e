"""Reads: every listing a page, route or command shows, with its authorization rule."""
