"""The cluster model: entities, engine and the behaviours that act on them.

Standard library only, and nothing of the UI: the model must run headless at thousands of times
real time and stand in for a real backend later.
"""
