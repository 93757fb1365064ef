"""Sources: what builds a session's cluster and feeds it observations (`base` the protocol, `sim`
the embedded model alone, `local` the machine the console runs on)."""
