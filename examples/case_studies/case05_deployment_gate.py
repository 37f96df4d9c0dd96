"""Case study 05: an automated pre-deployment gate: no error diagnostics, the required
metrics present, and no drop above 2 % against the deployed run.
(upstream's case 05, against contexta_git)"""

from __future__ import annotations

from _seed import Seeder, open_workspace

PROJECT = "product-ranker"
REQUIRED = ["accuracy", "auc", "f1"]
THRESHOLD = 0.02


def make_run(s: Seeder, name: str, metrics: tuple[float, float, float] | None, day: str) -> str:
    start, end = f"2025-{day}T09:00:00Z", f"2025-{day}T11:00:00Z"
    ref = s.put_run(name, start, end)
    if metrics is not None:
        stage = s.put_stage(ref, "evaluate", start, end, 0)
        for key, value in zip(REQUIRED, metrics, strict=True):
            s.metric(ref, key, value, end, stage=stage)
    return ref


def gate(ctx, candidate: str, deployed: str) -> tuple[bool, list[tuple[str, bool, str]]]:
    checks = []
    diag = ctx.diagnose_run(candidate)
    errors = [i for i in diag.issues if i.severity == "error"]
    warnings = [i for i in diag.issues if i.severity == "warning"]
    checks.append(("diagnostics", not errors,
                   f"{len(errors)} error(s): {', '.join(i.code for i in errors)}" if errors
                   else f"clean ({len(warnings)} warning(s))"))
    snap = ctx.get_run_snapshot(candidate)
    values = {r.key: r.value for r in snap.records if r.record_type == "metric"}
    missing = [k for k in REQUIRED if k not in values]
    checks.append(("required_metrics", not missing, f"missing: {missing}" if missing
                   else ", ".join(f"{k}={values[k]:.4f}" for k in REQUIRED)))
    drops = [f"{d.metric_key}: {d.left_value:.4f}->{d.right_value:.4f} ({d.change_ratio:+.1%})"
             for st in ctx.compare_runs(deployed, candidate).stage_comparisons
             for d in st.metric_deltas
             if d.metric_key in REQUIRED and d.change_ratio is not None
             and d.change_ratio < -THRESHOLD]
    checks.append(("regression_check", not drops, f"regression detected: {'; '.join(drops)}"
                   if drops else f"no significant regression vs previous deploy "
                                 f"(threshold={THRESHOLD:.0%})"))
    return all(ok for _, ok, _ in checks), checks


def main() -> None:
    ctx = open_workspace(PROJECT, __doc__)
    s = Seeder(ctx, PROJECT, "contexta.case05")
    s.put_project("Product ranking model", "2025-01-01T00:00:00Z")
    baseline = make_run(s, "baseline-v1", (0.893, 0.927, 0.881), "04-28")
    s.put_deployment("prod-v1", baseline, "2025-04-28T12:00:00Z", "2025-04-28T12:10:00Z", 0)
    print("=" * 60)
    print("CASE STUDY 05: Automated Deployment Gate")
    print("=" * 60)
    deployed = ctx.list_deployments(PROJECT)[-1].run_id
    candidates = [("candidate-v2-good", (0.901, 0.933, 0.889), "05-05"),
                  ("candidate-v3-no-eval", None, "05-06"),
                  ("candidate-v4-regressed", (0.841, 0.891, 0.859), "05-07")]
    results = []
    for name, metrics, day in candidates:
        ref = make_run(s, name, metrics, day)
        passed, checks = gate(ctx, ref, deployed)
        print(f"\n  Pre-deployment gate for '{ref}': [{'PASS' if passed else 'FAIL'}]")
        for check, ok, detail in checks:
            print(f"      {'[OK]' if ok else '[NG]'}  [{check}] {detail}")
        results.append((name, passed))
    print("\nGate results summary:")
    for name, passed in results:
        print(f"  {'PASS' if passed else 'FAIL'}  {name}")


if __name__ == "__main__":
    main()
