"""kiosk: a Raspberry Pi self-service checkout (core logic, runtime shell, config, wiring)."""

__version__ = "0.1.0"
