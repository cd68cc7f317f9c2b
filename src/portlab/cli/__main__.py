"""``python -m portlab.cli``: run the ``portlab`` command line."""

import sys

from portlab.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
