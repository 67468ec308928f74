"""SMPP 3.4: PDUs, text encoding, delivery receipts, connectors and the SMSC simulator."""
