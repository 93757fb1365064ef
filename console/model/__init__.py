"""The cluster model: entities, engine and the behaviours that act on them.

Standard library only, and nothing of the UI: the model must run headless at thousands of times
real time and stand in for a real backend later.

* `kernel`: outcomes, components, and the `Context` a behaviour sees (clock, events, cluster,
  peers), with the `Actuator` / `Observations` through which it reaches the hardware;
* `engine`: wires the components; the one door (`submit`) and the clock;
* `world` (with `precopy`): the simulated hardware, where fault injection acts;
* `membership`, `ha`, `services`, `migration`, `maintenance`, `balancer`, `images`, `readings`,
  `relocation`: the cluster's belief and decisions;
* `entities`, `cluster`, `placement`, `settings`, `hypervisors`, `workloads`, `events`,
  `scheduler`, `commands`: the data, rules and clock they share;
* `views`, `summary`, `invariants`: read-only readers of a run.
"""
