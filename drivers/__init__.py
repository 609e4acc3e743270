"""Hardware adapters (one per port in appliance/ports.py) and their simulated twins."""
