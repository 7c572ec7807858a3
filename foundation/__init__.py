"""The core both sides lean on: the environment file as typed objects (`model`), its loader and
validation (`config`, its member accounts in `accounts`, both read with `reader`), the names
stacks and helpers agree on (`contract`), repository paths (`paths`), the one IAM policy builder
(`policies`) and the organization's policies built with it (`organization_policies`).

Pure Python: it imports neither cdktf nor the helpers in scripts/ (boto3 sessions, the
emulator, the synth cache), so `modules/` (constructs) and `scripts/` (helpers) both import it
and never each other's internals.
"""
