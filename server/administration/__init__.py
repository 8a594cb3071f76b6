"""The console's administration of communes and villages, and the audit log: endpoints above what they serve."""
