"""cluster-console: a keyboard-driven terminal operations console for virtualised clusters."""

__version__ = "0.1.0"
