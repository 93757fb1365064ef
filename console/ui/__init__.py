"""The Textual console: a viewer of a Session (the app, its screens, widgets, keys, themes and
modes) and the asciicast exporter."""
