"""File formats, apart from the front-ends that use them: checked TOML (`toml`), cluster files
(`cluster`), drill files (`drill`), recordings (`recording`), timed commands (`timed`), the
event log of a headless run (`event_log`) and how every output file is checked and written
(`output`: never over an input, atomically). Nothing here imports the ui, the cli or the drills."""
