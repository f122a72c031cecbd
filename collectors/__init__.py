"""Everything that runs without a screen: sources, scheduler, store, sketch and rules."""
