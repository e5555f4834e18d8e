"""Closure events to other systems: CloudEvents JSON signed per Standard Webhooks, via the outbox."""
