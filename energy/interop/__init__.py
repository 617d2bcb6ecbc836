"""Interop: data in other utilities' and devices' formats. Green Button (ESPI) files in and out,
with the usage points they name mapped to our meters, and Route B cumulative registers."""
