"""The core both sides lean on: the environment file as typed objects (`model`), its loader and
validation (`config`), the names stacks and helpers agree on (`contract`), repository paths
(`paths`) and the one IAM policy builder (`policies`).

Pure Python: it imports neither cdktf nor the helpers in scripts/ (boto3 sessions, the
emulator, the synth cache), so `modules/` (constructs) and `scripts/` (helpers) both import it
and never each other's internals.
"""
