"""Reads: every listing and detail a page, route or command shows, with its authorization rule."""
