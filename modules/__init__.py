"""Constructs and stacks: everything that imports cdktf lives here or in main.py."""
