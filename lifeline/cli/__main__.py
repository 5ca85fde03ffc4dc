"""``python -m lifeline.cli``: the ``lifeline`` command."""

import sys

from lifeline.cli.main import main

sys.exit(main())
