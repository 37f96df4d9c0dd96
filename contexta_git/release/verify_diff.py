"""Name what differs between a certificate and the evidence recomputed from its run."""

from __future__ import annotations

from typing import Any


def describe(key: str, stated: Any, actual: Any, run: str, at: str) -> list[str]:
    """One line per difference in section ``key`` (certificate says ``stated``)."""
    where = f"{run} at {at}"
    if key == "metrics" and isinstance(stated, list):
        return _metrics(stated, actual, where)
    if key == "checks" and isinstance(stated, list) and len(stated) == len(actual):
        out = []
        for said, real in zip(stated, actual, strict=True):
            for field in ("value", "status", "bound", "metric", "kind", "stage"):
                if said.get(field) != real.get(field):
                    out.append(f"check {real['metric']} {real['kind']}: {field} is "
                               f"{said.get(field)!r} in the certificate but recomputes to "
                               f"{real.get(field)!r} from {where}")
        return out or [f"checks differ from what the policy recomputes on {where}"]
    if key == "decision":
        return [(f"decision {stated} in the certificate but the policy recomputes to {actual} "
                 f"on {where}")]
    if isinstance(stated, dict) and isinstance(actual, dict):
        fields = sorted(set(stated) | set(actual))
        return [f"{key}.{f} is {stated.get(f)!r} in the certificate but {actual.get(f)!r} in "
                f"{where}" for f in fields if stated.get(f) != actual.get(f)]
    return [f"{key} in the certificate differ from {where}"]


def _metrics(stated: list[dict[str, Any]], actual: list[dict[str, Any]], where: str) -> list[str]:
    said = {m.get("id"): m for m in stated}
    real = {m.get("id"): m for m in actual}
    out = []
    for rid, metric in real.items():
        other = said.get(rid)
        name = f"metric {metric['key']}" + (f" (stage {metric['stage']})" if metric["stage"] else "")
        if other is None:
            out.append(f"{name} = {metric['value']!r} is in {where} but not in the certificate")
        elif other != metric:
            out.append(f"{name} is {other.get('value')!r} in the certificate but "
                       f"{metric['value']!r} in {where}")
    for rid, metric in said.items():
        if rid not in real:
            out.append(f"metric {metric.get('key')} = {metric.get('value')!r} is in the "
                       f"certificate but not in {where}")
    return out or [f"metrics in the certificate are not in the order {where} recorded them"]
