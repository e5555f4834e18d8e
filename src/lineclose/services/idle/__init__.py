"""Idle-line reminders: don't keep paying for a card you don't use."""
