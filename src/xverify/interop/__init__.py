"""Bridges to other record-linkage toolkits (optional extras; nothing here is imported by
``import xverify``)."""
