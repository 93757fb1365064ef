"""Allow `python -m console`."""

from console import collector

collector.hold()  # from the first import on (console.collector; console.cli releases it)

from console.cli import main  # noqa: E402

raise SystemExit(main())
