"""Campaigns: year-on-year saving points and demand-response events, the points ledger, and
customers' notification preferences and emails."""
