"""`python -m headoffice ...`: the same as the `headoffice` console script."""

import sys

from headoffice.cli import main

sys.exit(main())
