"""python -m labelloop: the command line."""

from labelloop.cli import main

main()
