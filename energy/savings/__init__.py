"""Savings: recommendations with their kWh, yen and CO2 estimates, the wording staff edit, and
measured savings (CalTRACK) after a customer acts."""
