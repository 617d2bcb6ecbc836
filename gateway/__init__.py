"""The edge gateway (``shoene-gateway``): reads a meter source, buffers on disk, sends batches.

It runs on a device beside the meters, not in the Django project: nothing here imports Django.
"""
