"""``python -m simsrc`` runs the command-line interface."""

import sys

from simsrc.cli import main

sys.exit(main())
