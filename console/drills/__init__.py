'''Drills: a cluster, a seed, scripted steps and expectations; run headless, a report out.

    cluster-console drill FILE... [--json] [--junit OUT.xml] [--record REC.jsonl]
    cluster-console drill FILE --do "T COMMAND"...

runs each drill as fast as the machine allows and prints a report: every expectation passed or
failed with the value observed, the recovery time of every incident, the downtime of every VM and
service that had any. Exit status 0 when every expectation of every drill passed, 1 when one
failed, 2 when a file is bad (one line, `file:line: key: message`, as for cluster files).

Drill files
-----------
```toml
[drill]
name = "node-crash"             # required; a name (letters, digits, _ . -; at most 64)
description = "B crashes ..."   # optional
cluster = "../seed.toml"        # a cluster file, relative to this drill file; or leave it out
                                # and embed the cluster here: [cluster], [[nodes]], [[vms]] ...
                                # exactly as in a cluster file, beside the drill's own tables
seed = 0                        # integer from 0 to 4294967295 (default 0)
duration_s = 600                # required, above 0, at most 30 days (2592000): simulated s
interactive = true              # optional (default false): the operator must act, the fix is
                                # not in the steps; headless it passes only with the
                                # operator's commands given: `drill FILE --do "90 power-on B"`
hold_clock = false              # optional (default true): --interactive, the clock runs on
                                # while a dialog is open (a timed drill)

[[steps]]                       # any number, in time order
at = 60                         # simulated seconds, 0 .. duration_s
do = "fail-node B"              # one command of the command language (names are checked)
name = "crash"                  # optional; expectations may say `step crash` for `step 1`

[[expect]]                      # at least one
that = "service sql is online within 40 s after step 1"
name = "sql fails over"         # optional: the JUnit test case name (default: number + text)
```

The steps of one instant land together, in file order, before any timer due at that instant
(heartbeats, detections, balancer passes of that second come after them), just as `simulate
--do`, replays and the live console apply commands: a drill's event log is the log `simulate`
prints for the same cluster, seed, commands and `--for`. Clock commands (`speed`, `pause`,
`resume`) belong to the console; a headless drill records and otherwise skips them.

Expectations
------------
One sentence each: `CHECK [WINDOW]`, or `WINDOW: CHECK`. Keywords are case-insensitive, names are
not. States are the model's own words (`online`, `maintenance`, `failing_over`, `pending_restart`
...); `a|b` accepts either.

State checks (default window: `at end`)

    node B is maintenance               node B state is maintenance     node A is not failed
    vm sql01 is running                 vm sql01 is running on A        vm web01 is not on B
    vm web01 on C                       service sql is online           service sql online
    service sql is active on sql02      service sql active on C         (a member or its node)
    all VMs running                     all services online
    no VM lost                          (none failed or pending_restart, none left off by HA;
                                         a VM the operator stopped is not lost)

Numbers (default window: `at end`): `QUANTITY COMPARISON NUMBER [s|min|h]`

    pending VMs = 2                     running VMs at least 10         down VMs = 0
    migrations completed at least 4     migrations failed = 0           (also started, queued)
    events service_failover for sql at most 1
    max VM downtime below 60 s          max VM downtime of sql01, sql02 below 1 min
    vm sql01 downtime below 60 s        service sql downtime below 40 s
    max service downtime below 60 s
    recovery time after step 1 below 90 s    max recovery time below 2 min   (at end only)

    Comparisons: below | under | less than | <,  at most | <=,  above | over | more than | >,
    at least | >=,  = | == | is | exactly.

Events (default window: the whole drill)

    event node_failed for B within 20 s after step 1       (at least one in the window)
    no event service_failed                                (none in the window)
    no event refused
    event node_fenced for C before event vm_restarting for web
                                (both in the window, the first of the first kind logged before
                                 the first of the second: at one instant, the one logged first)

Invariants (default window: `throughout`), checked at every moment the model changed:

    no split brain                      (= no service active on two members)
    invariants hold                     (every invariant of console.model.invariants)

Windows

    at end | at start | at 300 s | at step 2      one moment: `at T` is after everything at T;
                                                  `at step K` is just after step K
    within 40 s after step 1                      eventually: holds at some moment in the window
    within 2 min after 600 s
    from step 2 to step 3 | from 60 s to end      always: holds at every moment in the window;
    between step 1 and 300 s | throughout         `to step K` stops just before step K

    An anchor is `start`, `end`, `step K` (1-based, or a step's name) or a time (`90 s`, `2 min`,
    `1.5 h`). For events, a window only bounds where to look. Windows must lie within the drill.

The report
----------
Each expectation with PASS/FAIL and the observed value (when a `within` check first held, or
where an `always` check first broke). Incidents: each accepted `fail-node`, `power-off`,
`isolate` or `failover` step opens one; it collects the outages it caused, whenever they begin
(at once, or at detection after later steps), and is recovered at the first moment all of them
are back (VMs running, services online). An outage is caused by the latest step that acted on
the VM or service (the node the step named and the VMs and services on it, the VM or service it
named) when that step opened an incident still open; an outage on a host that lost quorum
because others went is the membership incident's (fail-node, power-off, isolate) open when it
lost quorum; the rest (a maintenance evacuation, a failback) are no incident's, and show under
downtime only. Downtime: every VM and service with any, largest first (a live migration's
switchover counts). `--json` prints one object per drill (`"kind": "drill_report"`), with the
final state under `"summary"`: the object `simulate --json` prints last (every node; every VM's
state, host and downtime; every service's state and active member);
`--junit` writes one test suite per drill and one test case per expectation.

The operator's commands (`--do "T COMMAND"`, one drill) are submitted at their times as the
console submits a key at that moment (after the steps of that instant, before its timers) and
scored as the operator's: they open no incident. That is how a drill marked `interactive = true`
(the sample `restore-failover-capacity`: B crashes, and only the operator can power it back on
before C crashes too) is run without the console, and how its expected answer is tested.

Interactive drills
------------------
    cluster-console drill FILE --interactive [--report OUT.txt] [--record REC.jsonl]
                                             [--speed X] [--paused] [--no-confirm]

open the console on the drill's cluster and seed. Steps arrive on schedule as the simulated clock
passes their times, through the console's one door for commands (so a recording holds them like
keys and replays them identically); the operator answers with keys; the drill panel scores every
expectation live (pending, PASS or FAIL with the value observed; an event check is decided as
soon as its event is seen). At the drill's duration the clock pauses and the report screen shows
the report, saved as text next to the drill (`NAME.report.txt` beside `NAME.toml`) or to
`--report`; the notification says where. Exit status as headless; 1 when the operator quits
before the end (no report). The console plugs into `DrillSession` (advance_to, submit, live).
'''

from console.drills.plan import Drill, load_drill, parse_drill
from console.drills.report import Report, junit_xml, render_json, render_text
from console.drills.runner import DrillSession, run_drill

__all__ = ["Drill", "DrillSession", "Report", "junit_xml", "load_drill", "parse_drill",
           "render_json", "render_text", "run_drill"]
