"""What screens and exports read, without Textual: thresholds from the rules in force."""
