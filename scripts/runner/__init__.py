"""The terraform runner: synthesis (`synth`), and plain terraform in a synthesized stack
(`terraform`)."""
