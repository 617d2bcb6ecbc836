"""Billing periods: a meter's use between two meter readings (a bill), kept as it was billed."""
