"""A customer's use, cost and CO2 by day, month and year, as the portal reads them
(``selectors``): their premises and meters, periods, series with costs under their tariff, the
month so far, and their current recommendations."""
