"""``python -m bench.peers``: the same as ``lifeline bench --peers``."""

import sys

from bench.peers.cli import main

sys.exit(main())
