"""The config file: YAML read with positions, the models, and errors a person can act on."""
