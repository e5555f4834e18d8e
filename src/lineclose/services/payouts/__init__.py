"""Refund payouts: batches written as bank files, reconciled from the bank's answers."""
