"""python -m archiver: the chatkeep command."""

from .cli import main

main()
