"""Benchmarks of xverify against its peers (Splink, recordlinkage, anonlink); see README.md."""
