"""Latency datasets measured by the project and shipped as package data (CSV + JSON provenance sidecar).

Read them through :mod:`hwnas.hardware.embedded`, not by path."""
