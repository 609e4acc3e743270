"""The pygame touch UI: draws a view model that ui.view derives from the core's state."""

import os

# pygame prints a greeting on import; on a kiosk it is noise in the journal
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
