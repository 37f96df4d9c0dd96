"""Case study 01: eight hyper-parameter experiments, two of them failed; rank the
completed ones, pick the best, compare it and build a multi-run report.
(upstream's case 01, against contexta_git)"""

from __future__ import annotations

from _seed import Seeder, open_workspace

PROJECT = "image-classifier-hpo"
RUNS = [  # name, accuracy, loss (None: the run failed)
    ("exp-lr1e-3-bs32-aug", 0.874, 0.341), ("exp-lr1e-3-bs64-aug", 0.891, 0.298),
    ("exp-lr1e-3-bs128-noaug", 0.863, 0.372), ("exp-lr5e-4-bs32-aug", 0.901, 0.267),
    ("exp-lr5e-4-bs64-aug", 0.918, 0.231), ("exp-lr5e-4-bs128-aug", 0.897, 0.281),
    ("exp-lr1e-4-bs32-aug", None, None), ("exp-lr2e-3-bs64-noaug", None, None),
]
START, END = "2025-03-18T09:00:00Z", "2025-03-18T11:00:00Z"


def seed(s: Seeder) -> None:
    s.put_project("Image classifier hyper-parameter search", "2025-03-01T00:00:00Z")
    for name, acc, loss in RUNS:
        status = "completed" if acc is not None else "failed"
        ref = s.put_run(name, START, END, status)
        stage = s.put_stage(ref, "train", START, END, 0, status)
        lr, bs, aug = name.split("-")[1:4]
        s.event(ref, "training.config-logged", f"lr={lr[2:]} batch-size={bs[2:]} augment={aug}",
                START, stage=stage)
        if acc is not None and loss is not None:
            s.metric(ref, "accuracy", acc, END, stage=stage, scope="run")
            s.metric(ref, "loss", loss, END, stage=stage, scope="run")


def main() -> None:
    ctx = open_workspace(PROJECT, __doc__)
    seed(Seeder(ctx, PROJECT, "contexta.case01"))
    print("=" * 60)
    print("CASE STUDY 01: Scattered Experiments")
    print("=" * 60)
    runs = ctx.list_runs(PROJECT)
    completed = [r for r in runs if r.status == "completed"]
    print(f"\nTotal runs: {len(runs)}  completed: {len(completed)}  "
          f"failed: {len(runs) - len(completed)}")
    print("\nRanking by accuracy (stage train):")
    for r in sorted(completed, key=lambda r: -r.stage_metrics["train"]["accuracy"]):
        m = r.stage_metrics["train"]
        print(f"  {r.name:<26} accuracy={m['accuracy']:.3f}  loss={m['loss']:.3f}")
    best = ctx.select_best_run([r.ref for r in completed], "accuracy", stage_name="train")
    snap = ctx.get_run_snapshot(best)
    m = snap.run.latest_metrics("train")
    print(f"\nBest run: {snap.run.name}  accuracy={m['accuracy']:.4f}  loss={m['loss']:.4f}")
    other = next(r for r in completed if r.ref != best)  # upstream: the first other in list order
    print(f"\nBest vs {other.name}:")
    for stage in ctx.compare_runs(best, other.ref).stage_comparisons:
        for d in stage.metric_deltas:
            print(f"  {stage.stage_name}/{d.metric_key}: {d.delta:+.4f}")
    report = ctx.build_multi_run_report([r.ref for r in completed])
    print(f"\nReport: {report.title} ({len(report.sections)} sections)")


if __name__ == "__main__":
    main()
