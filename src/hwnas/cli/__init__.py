"""The `hwnas` command line: each subcommand is a thin shell over a library function."""
