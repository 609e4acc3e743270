"""Head office: ingests kiosk events from MQTT into its ledger and acknowledges them."""
