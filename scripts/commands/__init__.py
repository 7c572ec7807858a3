"""The commands of `python -m scripts.cli`, one module each."""
