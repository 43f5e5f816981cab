"""The gate's own state, whether or not MQTT is on: its mode, its alarms, its door."""
