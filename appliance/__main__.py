"""`python -m appliance` is the `kiosk` command."""

import sys

from appliance.cli import main

sys.exit(main())
