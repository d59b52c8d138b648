"""``moatdb deploy``: the plan shown, then its steps run in order, one at a time. A step that fails
stops the deploy; the report then says what was applied, what failed and why, and what was not
attempted, so a second deploy (which plans again from what AWS holds) finishes the work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from moatdb.deployment.plan import BLOCKED, CHANGE, CREATE, LEAVE, Plan, Step

_MARK = {CREATE: "+ create ", CHANGE: "~ change ", LEAVE: "= leave  ", BLOCKED: "! blocked"}


def show(plan: Plan) -> str:
    """The plan as text: a line a step, then the counts."""
    lines = [f"{_MARK[step.action]} {step.line()}" for step in plan.steps]
    lines.append(f"Plan: {plan.count(CREATE)} to create, {plan.count(CHANGE)} to change, "
                 f"{plan.count(LEAVE)} left alone" + (f", {plan.count(BLOCKED)} blocked" if plan.blocked else "") + ".")
    return "\n".join(lines)


@dataclass
class Report:
    applied: list[Step] = field(default_factory=list)
    failed: tuple[Step, str] | None = None
    not_attempted: list[Step] = field(default_factory=list)

    def show(self) -> str:
        lines = [f"Applied {len(self.applied)} of {len(self.applied) + len(self.not_attempted) + bool(self.failed)} "
                 "steps:"]
        lines += [f"  done    {step.action} {step.line()}" for step in self.applied]
        if self.failed is not None:
            step, reason = self.failed
            lines.append(f"  FAILED  {step.action} {step.line()}\n          {reason}")
        lines += [f"  not run {step.action} {step.line()}" for step in self.not_attempted]
        if self.failed is not None:
            lines.append("AWS holds the steps done. Fix the failure, then run moatdb deploy again: it plans anew from "
                         "what AWS holds.")
        return "\n".join(lines)


def apply(plan: Plan, progress: Callable[[Step, int, int], None] | None = None) -> Report:
    """Run the plan's steps in order; stop at the first that fails. ``progress`` hears each step
    before it runs (step, its number from 1, how many)."""
    report = Report()
    work = plan.work
    for number, step in enumerate(work, start=1):
        if progress is not None:
            progress(step, number, len(work))
        try:
            assert step.run is not None
            step.run()
        except Exception as error:  # noqa: BLE001 - whatever stops a step, the report must say what was applied
            report.failed = (step, f"{type(error).__name__}: {error}")
            report.not_attempted = work[number:]
            return report
        report.applied.append(step)
    return report
