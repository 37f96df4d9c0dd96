"""Case study 11: a new team member learns a project's history: every run, the metric
trend, what is deployed, the best run and a report. Unlike upstream's script, the trend
is read back with get_metric_trend. (upstream's case 11, against contexta_git)"""

from __future__ import annotations

from _seed import Seeder, open_workspace

PROJECT = "churn-prediction"
RUNS = [  # name, day, accuracy, auc, f1
    ("churn-v1-jan", "2025-01-15", 0.821, 0.854, 0.811),
    ("churn-v2-feb", "2025-02-05", 0.843, 0.872, 0.836),
    ("churn-v3-feb", "2025-02-20", 0.861, 0.889, 0.854),
    ("churn-v4-mar", "2025-03-15", 0.878, 0.907, 0.871),
    ("churn-v5-apr", "2025-04-05", 0.894, 0.921, 0.888),
    ("churn-v6-apr", "2025-04-25", 0.902, 0.933, 0.896),
]


def seed(s: Seeder) -> None:
    s.put_project("Customer churn prediction", "2025-01-01T00:00:00Z")
    for name, day, acc, auc, f1 in RUNS:
        start, mid, end = f"{day}T09:00:00Z", f"{day}T11:00:00Z", f"{day}T12:00:00Z"
        ref = s.put_run(name, start, end)
        s.put_stage(ref, "train", start, mid, 0)
        stage = s.put_stage(ref, "evaluate", mid, end, 1)
        for key, value in (("accuracy", acc), ("auc", auc), ("f1", f1)):
            s.metric(ref, key, value, end, stage=stage)
        s.event(ref, "training.run-registered", f"Run {name} registered.", start)
        if name in ("churn-v3-feb", "churn-v6-apr"):
            s.put_deployment(f"prod-deploy-{name.split('-')[1]}", ref, f"{day}T15:00:00Z",
                             f"{day}T15:10:00Z", 0 if name.endswith("feb") else 1)


def main() -> None:
    ctx = open_workspace(PROJECT, __doc__)
    seed(Seeder(ctx, PROJECT, "contexta.case11"))
    print("=" * 60)
    print("CASE STUDY 11: Project History Onboarding")
    print("=" * 60)
    runs = ctx.list_runs(PROJECT)
    print(f"\nRun inventory: {len(runs)} runs")
    for r in runs:
        print(f"  {r.name:<14} {r.status:<10} started {r.started_at[:10]}")
    print("\nAUC trend (evaluate):")
    for p in ctx.get_metric_trend("auc", project_name=PROJECT, stage_name="evaluate").points:
        print(f"  {p.run_name:<14} {p.value:.3f}")
    print("\nDeployments:")
    for d in ctx.list_deployments(PROJECT):
        print(f"  {d.name:<16} -> {d.run_id}")
    best = ctx.select_best_run([r.ref for r in runs], "auc", stage_name="evaluate")
    m = ctx.get_run_snapshot(best).run.latest_metrics("evaluate")
    print(f"\nBest by auc: {best}  accuracy={m['accuracy']:.4f}  auc={m['auc']:.4f}")
    report = ctx.build_multi_run_report([r.ref for r in runs])
    print(f"\n{report.title}: " + ", ".join(s.title for s in report.sections))
    print(ctx.build_snapshot_report(best).title)


if __name__ == "__main__":
    main()
