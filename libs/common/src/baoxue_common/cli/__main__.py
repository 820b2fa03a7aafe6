"""`python -m baoxue_common.cli` runs the `baoxue` command."""

from baoxue_common.cli import main

main()
