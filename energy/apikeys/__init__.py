"""API keys for machines (meter gateways, the data team's jobs): scoped, stored as digests.

An app of its own (label ``apikeys``) since issue 16; its table is still ``energy_apikey``.
"""
