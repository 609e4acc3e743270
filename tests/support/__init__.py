"""Helpers shared by the test rings: a real mosquitto, sales to commit."""
