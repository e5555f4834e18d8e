"""The read layer: every listing and detail a page, a route or a command shows.

Each function takes the actor, applies the one authorization rule of `services.access`, and
returns typed view models (masked, JSON-ready), so the API, the console, the portal and the
CLI answer the same question the same way.
"""
