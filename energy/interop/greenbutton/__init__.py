"""Green Button (NAESB REQ.21 ESPI) import and export.

``espi`` reads and writes the XML (plain data in, plain data out); ``services`` maps usage
points to meters and feeds the ordinary ingest pipeline; ``selectors`` reads what an export
needs.
"""
