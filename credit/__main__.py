"""``python -m credit``: the same as the ``credit`` command."""

import sys

from credit.cli import main

sys.exit(main())
