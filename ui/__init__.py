"""The pygame touch UI: draws a view model that ui.view derives from the core's state."""
