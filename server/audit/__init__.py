"""The audit log: who viewed or changed what, readable by the commune head."""
