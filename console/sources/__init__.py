"""Sources: what builds a session's cluster and feeds it observations (`base` the protocol, `sim`
a cluster file run by the embedded model, `local` the machine the console runs on)."""
