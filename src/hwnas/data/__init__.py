"""Datasets: the registry (name -> files, sha256, upstream URL, licence), corpora, tokenizers, tables."""
