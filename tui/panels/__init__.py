"""Live panels that more than one screen uses."""
