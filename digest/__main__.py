"""``python -m digest``."""

import sys

from digest.cli.main import main

sys.exit(main())
