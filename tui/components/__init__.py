"""The reader's widgets and screens, one per module."""
