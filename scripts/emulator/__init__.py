"""The embedded local AWS: moto's server over TLS (`server`) and what the emulator adds to moto
(`extensions`)."""
