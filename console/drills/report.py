"""A drill's report: as text for people, JSON for scripts, JUnit XML for CI.

Everything in a report comes from simulated time, so running a drill twice gives the same report
byte for byte (wall-clock figures are the benchmark's business, not the report's).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field


@dataclass
class ExpectationResult:
    """One expectation's verdict: `passed` (None while a live drill has not decided it), the value
    observed and when (`at`, simulated seconds)."""

    number: int
    text: str
    name: str
    passed: bool | None  # None: not decided yet (a live drill)
    observed: str
    at: float | None = None


@dataclass
class StepResult:
    """One step as it ran: accepted, refused (with the reason in `note`) or a clock command."""

    number: int
    at: float
    command: str
    outcome: str  # accepted | refused | clock
    note: str = ""


@dataclass
class IncidentReport:
    """An incident in the report: what it took down, and when all of it was back (simulated
    seconds)."""

    step: int
    at: float
    command: str
    vms: list[str]
    services: list[str]
    recovered_at: float | None
    recovery_s: float | None
    outstanding: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: what went down and how long recovery took."""
        down = []
        if self.vms:
            down.append(f"{_count(len(self.vms), 'VM')} ({', '.join(self.vms)})")
        if self.services:
            down.append(f"{_count(len(self.services), 'service')} "
                        f"({', '.join(self.services)})")
        if not down:
            return "no outage"
        if self.recovered_at is None:
            return f"NOT recovered by the end: {', '.join(self.outstanding)}; down: " \
                   + ", ".join(down)
        return (f"recovered in {seconds(self.recovery_s or 0.0)} "
                f"(at {seconds(self.recovered_at)}); down: {', '.join(down)}")


@dataclass
class Report:
    """A drill's report: every expectation's verdict, the steps, the incidents, the downtime
    (seconds) of every VM and service that had any, and the final state (`summary`)."""

    drill: str
    file: str
    description: str
    cluster: str
    cluster_file: str
    seed: int
    duration: float
    events: int
    passed: bool
    expectations: list[ExpectationResult]
    steps: list[StepResult]
    incidents: list[IncidentReport]
    vm_downtime: dict[str, float]
    service_downtime: dict[str, float]
    lost: list[str]
    #: The final state, exactly as `simulate --json` prints it last (console.model.summary):
    #: every node, every VM (state, host, downtime), every service (state, active member).
    summary: dict[str, object] = field(default_factory=dict)

    @property
    def failures(self) -> int:
        """How many expectations failed."""
        return sum(1 for e in self.expectations if not e.passed)

    def as_dict(self) -> dict[str, object]:
        """The report as `--json` prints it (`"kind": "drill_report"`), times rounded to the
        millisecond; `"summary"` is the final state as `simulate --json` prints it."""
        data = asdict(self)
        data = {"kind": "drill_report", **data}
        for incident in data["incidents"]:  # type: ignore[union-attr]
            for key in ("recovered_at", "recovery_s"):
                if incident[key] is not None:
                    incident[key] = round(incident[key], 3)
        return data


def seconds(value: float) -> str:
    """Seconds to the millisecond, without trailing zeros: 75 s, 131.067 s (how drill reports,
    checks and windows write every time)."""
    return f"{value:.3f}".rstrip("0").rstrip(".") + " s"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render_text(report: Report) -> str:
    """The report for people, as `cluster-console drill` prints it."""
    lines = [f"drill {report.drill}: {report.description}".rstrip(": "),
             f"  {report.file}; cluster {report.cluster} ({report.cluster_file}), "
             f"seed {report.seed}, {seconds(report.duration)} simulated, {report.events} events",
             "", "steps"]
    width = max((len(s.command) for s in report.steps), default=0)
    for step in report.steps:
        note = f": {step.note}" if step.note else ""
        lines.append(f"  {step.number:>3}  {seconds(step.at):>10}  {step.command:<{width}}  "
                     f"{step.outcome}{note}")
    if not report.steps:
        lines.append("  (none)")
    lines += ["", "expectations"]
    width = max((len(e.text) for e in report.expectations), default=0)
    for e in report.expectations:
        mark = "PASS" if e.passed else "FAIL" if e.passed is False else "...."
        lines.append(f"  {mark}  {e.number:>2}  {e.text:<{width}}  {e.observed}")
    lines += ["", "incidents (recovery time)"]
    for incident in report.incidents:
        lines.append(f"  step {incident.step} at {seconds(incident.at)}, {incident.command}: "
                     f"{incident.summary()}")
    if not report.incidents:
        lines.append("  (none)")
    lines += ["", "downtime"]
    for name, value in report.vm_downtime.items():
        lines.append(f"  vm {name:<14} {seconds(value)}")
    for name, value in report.service_downtime.items():
        lines.append(f"  service {name:<9} {seconds(value)}")
    if not report.vm_downtime and not report.service_downtime:
        lines.append("  (none)")
    total = len(report.expectations)
    met = total - report.failures
    verdict = "PASS" if report.passed else "FAIL"
    lines += ["", f"{verdict}: {met} of {total} expectations met"]
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    """The report as one JSON line."""
    return json.dumps(report.as_dict()) + "\n"


def junit_xml(reports: list[Report]) -> bytes:
    """One <testsuite> per drill, one <testcase> per expectation; failures carry the observed
    value as their message."""
    root = ET.Element("testsuites", tests=str(sum(len(r.expectations) for r in reports)),
                      failures=str(sum(r.failures for r in reports)))
    for report in reports:
        suite = ET.SubElement(root, "testsuite", name=report.drill,
                              tests=str(len(report.expectations)),
                              failures=str(report.failures), errors="0", skipped="0",
                              time="0")
        properties = ET.SubElement(suite, "properties")
        for key, value in (("file", report.file), ("cluster", report.cluster_file),
                           ("seed", str(report.seed)), ("duration_s", f"{report.duration:g}")):
            ET.SubElement(properties, "property", name=key, value=value)
        for e in report.expectations:
            case = ET.SubElement(suite, "testcase", classname=f"drill.{report.drill}",
                                 name=e.name or f"{e.number}: {e.text}", time="0")
            if not e.passed:
                failure = ET.SubElement(case, "failure", message=f"observed: {e.observed}",
                                        type="ExpectationFailed")
                failure.text = f"{e.text}\nobserved: {e.observed}\n"
            else:
                ET.SubElement(case, "system-out").text = f"observed: {e.observed}\n"
        ET.SubElement(suite, "system-out").text = render_text(report)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
