"""A gate result as Markdown (pull requests) and JUnit XML (CI test reports).

In JUnit every check is a test case (a FAIL is a failure, a WARN passes with a
``system-out`` note) and every metric value is a property of the suite.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from contexta_git.release.gate import CheckResult, GateResult


def num(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def bound_text(row: CheckResult) -> str:
    sign = {"min": ">= ", "max": "<= ", "min_abs_change": "change >= ",
            "min_rel_change": "rel. change >= ", "max_drop": "drop <= "}[row.kind]
    return sign + num(row.bound)


def gate_markdown(result: GateResult) -> str:
    lines = [f"### Gate {result.decision}: {result.run}", ""]
    if result.baseline:
        lines += [f"Baseline: {result.baseline}", ""]
    lines += ["| metric | stage | value | bound | margin | status |",
              "| --- | --- | --- | --- | --- | --- |"]
    for r in result.rows:
        lines.append(f"| {r.metric} | {r.stage or 'any'} | {num(r.value)} | {bound_text(r)} "
                     f"| {num(r.margin)} | {r.status} |")
    lines += ["", f"**Decision: {result.decision}**", ""]
    return "\n".join(lines)


def gate_junit(result: GateResult) -> str:
    failures = sum(r.status == "FAIL" for r in result.rows)
    suites = ET.Element("testsuites", name="contexta-git gate", tests=str(len(result.rows)),
                        failures=str(failures))
    suite = ET.SubElement(suites, "testsuite", name=f"gate {result.run}",
                          tests=str(len(result.rows)), failures=str(failures), errors="0",
                          skipped="0")
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="run", value=result.run)
    ET.SubElement(props, "property", name="decision", value=result.decision)
    if result.runs_commit:
        ET.SubElement(props, "property", name="runs_commit", value=result.runs_commit)
    seen: set[str] = set()
    for r in result.rows:
        key = f"metric.{r.stage + '.' if r.stage else ''}{r.metric}"
        if r.value is not None and key not in seen:
            seen.add(key)
            ET.SubElement(props, "property", name=key, value=repr(r.value))
    for r in result.rows:
        case = ET.SubElement(suite, "testcase", classname=f"gate.{r.metric}",
                             name=f"{r.metric} {bound_text(r)}")
        if r.status == "FAIL":
            ET.SubElement(case, "failure", message=r.reason, type="GateFailure").text = (
                f"{r.metric} ({r.stage or 'any stage'}): {r.reason}")
        elif r.status == "WARN":
            ET.SubElement(case, "system-out").text = f"WARN: {r.reason}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
