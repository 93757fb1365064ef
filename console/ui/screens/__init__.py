"""The console's screens: the main panes, details, dialogs, help, loading and the drill report."""
