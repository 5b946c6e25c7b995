"""``python -m promoter_model.cli``: the ``promoter-model`` command."""

import sys

from promoter_model.cli.command import main

if __name__ == "__main__":
    sys.exit(main())
