"""``python -m archgym.cli`` runs the command line."""

from archgym.cli import main

main()
