"""Few-shot latency prediction on a new device (issue 16): device latency tables of a space, aligned by arch, and
the published transfer tasks (NASFLAT's N0-N5 and F0-F5)."""
