"""Case study 04: which training run is behind the deployment that dropped CTR, and
which dataset did it train on? (upstream's case 04, against contexta_git)"""

from __future__ import annotations

from _seed import Seeder, open_workspace

PROJECT = "ctr-ranking-model"
RUNS = [  # name, accuracy, auc, loss, dataset version, started, ended
    ("friday-run-a", 0.881, 0.912, 0.308, "v2025-03-28", "2025-04-01T08:00:00Z", "2025-04-01T09:30:00Z"),
    ("friday-run-b", 0.893, 0.927, 0.281, "v2025-03-28", "2025-04-01T09:45:00Z", "2025-04-01T11:15:00Z"),
    ("friday-run-c", 0.901, 0.938, 0.261, "v2025-03-31", "2025-04-01T12:00:00Z", "2025-04-01T13:45:00Z"),
]


def seed(s: Seeder) -> dict[str, str]:
    s.put_project("Click-through rate ranking model", "2025-03-01T00:00:00Z")
    refs = {}
    for name, acc, auc, loss, dataset, start, end in RUNS:
        ref = refs[name] = s.put_run(name, start, end)
        mid = f"{start[:11]}{int(start[11:13]) + 1:02d}:00:00Z"
        s.put_stage(ref, "feature-engineering", start, mid, 0)
        train = s.put_stage(ref, "train", mid, end, 1)
        for key, value in (("accuracy", acc), ("auc", auc), ("loss", loss)):
            s.metric(ref, key, value, end, stage=train, scope="run")
        s.event(ref, "training.dataset-registered", f"Training dataset version: {dataset}",
                start, attributes={"dataset_version": dataset})
    s.put_deployment("prod-deploy-march", refs["friday-run-b"], "2025-03-28T17:00:00Z",
                     "2025-03-28T17:10:00Z", 0)
    s.put_deployment("prod-deploy-april", refs["friday-run-c"], "2025-04-01T16:00:00Z",
                     "2025-04-01T16:08:00Z", 1)
    return refs


def dataset_of(ctx, ref: str) -> str:
    snap = ctx.get_run_snapshot(ref)
    event = next(r for r in snap.records if r.key == "training.dataset-registered")
    return event.payload["attributes"]["dataset_version"]


def main() -> None:
    ctx = open_workspace(PROJECT, __doc__)
    refs = seed(Seeder(ctx, PROJECT, "contexta.case04"))
    print("=" * 60)
    print("CASE STUDY 04: Deployment Traceability")
    print("=" * 60)
    deployments = sorted(ctx.list_deployments(PROJECT), key=lambda d: d.started_at or "")
    print("\nStep 1 - All registered deployments:")
    for dep in deployments:
        print(f"  {dep.deployment_id:<45}  run_ref={dep.run_id}")
    live = deployments[-1]

    print(f"\nStep 2 - Snapshot of the deployed run ({live.run_id}):")
    snap = ctx.get_run_snapshot(live.run_id)
    print(f"  Run name:    {snap.run.name}")
    print(f"  Status:      {snap.run.status}")
    print(f"  Stages:      {[s.name for s in snap.stages]}")
    for r in snap.records:
        if r.record_type == "metric":
            print(f"    {r.key:<12} = {r.value:.4f}")
    print(f"  Training dataset version: {dataset_of(ctx, live.run_id)}")

    print("\nStep 3 - Lineage traversal from the April deployment:")
    lineage = ctx.traverse_lineage(live.deployment_id)
    print(f"  Visited nodes:  {len(lineage.visited_refs)}")
    print(f"  Edges found:    {len(lineage.edges)}")
    for edge in lineage.edges:
        print(f"  {edge.source_ref}  -->  {edge.target_ref}  [{edge.relation_type}]")

    previous = deployments[-2]
    print(f"\nStep 4 - Deployed ({snap.run.name}) vs previous deployment's run:")
    comparison = ctx.compare_runs(live.run_id, previous.run_id)
    for stage in comparison.stage_comparisons:
        for d in stage.metric_deltas:
            if d.delta is not None:
                print(f"  {d.metric_key:<12} deployed={d.left_value:.4f}  "
                      f"previous={d.right_value:.4f}  delta={d.delta:+.4f}")
    # upstream's delta is right - left (previous - deployed)

    best = ctx.select_best_run(list(refs.values()), "auc", stage_name="train")
    best_snap = ctx.get_run_snapshot(best)
    best_auc = best_snap.run.latest_metrics("train")["auc"]
    print("\nRoll-back analysis:")
    print(f"  Currently deployed: '{snap.run.name}'  ({dataset_of(ctx, live.run_id)} dataset)")
    suspect = "  (the deployed suspect)" if best == live.run_id else ""
    print(f"  Best offline run:    '{best_snap.run.name}'  AUC={best_auc:.4f}{suspect}")
    print(f"  Previous safe deploy used: '{ctx.get_run_snapshot(previous.run_id).run.name}'  "
          f"dataset {dataset_of(ctx, previous.run_id)}")
    print(f"\nSuspect: {snap.run.name} trained on dataset {dataset_of(ctx, live.run_id)}; "
          f"roll back to {previous.name}.")


if __name__ == "__main__":
    main()
