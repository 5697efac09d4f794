"""``python -m simsrc`` runs the command-line interface."""

import sys

from simsrc.ui.cli import main

sys.exit(main())
