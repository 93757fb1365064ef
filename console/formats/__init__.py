"""File formats, apart from the front-ends that use them: checked TOML (`toml`), cluster files
(`cluster`), drill files (`drill`), recordings (`recording`), timed commands (`timed`) and the
event log of a headless run (`event_log`). Nothing here imports the ui, the cli or the drills."""
