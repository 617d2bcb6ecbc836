"""Route B (the smart meter's home-side interface): cumulative registers delivered by a gateway,
differenced into interval readings (``register``, pure) and received as ingest batches
(``services``)."""
