"""``python -m hippocore`` runs the command line."""

import sys

from hippocore.cli import main

sys.exit(main())
