"""The console's widgets: the live tables of the main screen (built on `KeyedTable`), the header,
the command line and the drill and replay panels."""
