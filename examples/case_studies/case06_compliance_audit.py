"""Case study 06: an auditor asks which data, metrics and environment are behind each
deployed model version, and what changed between them.
(upstream's case 06, against contexta_git)"""

from __future__ import annotations

from _seed import Seeder, open_workspace

PROJECT = "loss-ratio-predictor"
VERSIONS = [  # name, day, dataset, (auc, precision, recall, f1), python, torch, xgboost
    ("model-v1", "2025-03-01", "claims-2024q4", (0.871, 0.834, 0.819, 0.826), "3.10.12",
     "1.13.0", "1.7.6"),
    ("model-v2", "2025-06-01", "claims-2025q1", (0.891, 0.852, 0.841, 0.846), "3.11.5",
     "2.0.1", "2.0.0"),
]
KEYS = ("auc", "precision", "recall", "f1")


def seed(s: Seeder) -> list[str]:
    s.put_project("Insurance loss ratio prediction model", "2025-01-01T00:00:00Z")
    refs = []
    for order, (name, day, dataset, values, python, torch, xgb) in enumerate(VERSIONS):
        start, mid, end = f"{day}T09:00:00Z", f"{day}T12:00:00Z", f"{day}T14:00:00Z"
        ref = s.put_run(name, start, end)
        s.put_stage(ref, "train", start, mid, 0)
        stage = s.put_stage(ref, "evaluate", mid, end, 1)
        for key, value in zip(KEYS, values, strict=True):
            s.metric(ref, key, value, end, stage=stage)
        s.event(ref, "training.dataset-registered", f"Training dataset version: {dataset}",
                start, attributes={"dataset_version": dataset})
        s.put_environment(ref, python, "linux", {"torch": torch, "xgboost": xgb,
                                                 "scikit-learn": "1.3.0", "pandas": "2.0.3"}, start)
        s.put_deployment(f"prod-{name[6:]}", ref, f"{day}T16:00:00Z", f"{day}T16:10:00Z", order)
        refs.append(ref)
    return refs


def main() -> None:
    ctx = open_workspace(PROJECT, __doc__)
    v1, v2 = seed(Seeder(ctx, PROJECT, "contexta.case06"))
    print("=" * 60)
    print("CASE STUDY 06: Compliance Audit")
    print("=" * 60)
    deployed = ctx.list_deployments(PROJECT)
    print("\nDeployments:")
    for d in deployed:
        print(f"  {d.name}: {d.run_id} at {d.started_at}")
    live = deployed[-1].run_id
    snap = ctx.get_run_snapshot(live)
    event = next(r for r in snap.records if r.key == "training.dataset-registered")
    print(f"\nQ1 Which data? {event.message} "
          f"(dataset_version={event.payload['attributes']['dataset_version']})")
    m = snap.run.latest_metrics("evaluate")
    print("Q2 Which metrics? " + ", ".join(f"{k} {m[k]:.4f}" for k in KEYS))
    audit = ctx.audit_reproducibility(live)
    print(f"Q3 Which environment? python {snap.environment['python']['version']}, "
          f"{snap.environment['platform']}, {len(snap.run.packages)} packages; "
          f"reproducibility {audit.reproducibility_status}")
    env = ctx.compare_environments(v1, v2)
    print(f"Q4 What changed? python changed: {env.python_version_changed}")
    for c in env.changed_packages:
        print(f"  {c.key}: {c.left_value} -> {c.right_value}")
    for st in ctx.compare_runs(v1, v2).stage_comparisons:
        for d in st.metric_deltas:
            if d.delta is not None:
                print(f"  {st.stage_name}/{d.metric_key}: {'up' if d.delta > 0 else 'down'} "
                      f"{d.delta:+.4f}")
    report = ctx.build_snapshot_report(live)
    print(f"Q5 Report: {report.title} ({len(report.sections)} sections)")
    print(f"Who deployed it, and why: {deployed[-1].metadata.get('reason')}")


if __name__ == "__main__":
    main()
