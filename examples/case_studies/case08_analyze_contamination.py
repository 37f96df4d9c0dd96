"""Identify contaminated runs from previously recorded training history."""

from pathlib import Path

from contexta_git import Contexta
from contexta_git.config import UnifiedConfig, WorkspaceConfig


PROJECT_NAME = "purchase-intent-model"
BASELINE = f"run:{PROJECT_NAME}.run-2025-03-28"

ctx = Contexta(
    config=UnifiedConfig(
        project_name=PROJECT_NAME,
        workspace=WorkspaceConfig(root_path=Path(".contexta")),
    )
)

store = ctx.metadata_store
try:
    contaminated: list[str] = []
    print("Runs trained during contamination window:")
    for run in ctx.list_runs(PROJECT_NAME):
        snapshot = ctx.get_run_snapshot(run.run_id)
        event_keys = {record.key for record in snapshot.records if record.record_type == "event"}
        if "data.contamination-window" in event_keys:
            contaminated.append(run.run_id)
            print(f"  {run.name}")

    latest = contaminated[-1]
    print("\nClean baseline -> latest contaminated:")
    comparison = ctx.compare_runs(BASELINE, latest)
    for stage in comparison.stage_comparisons:
        for delta in stage.metric_deltas:
            if delta.delta is not None:
                print(f"{stage.stage_name}/{delta.metric_key}: {delta.delta:+.4f}")

    false_best = ctx.select_best_run(contaminated, "auc", stage_name="evaluate", higher_is_better=True)
    print(f"\nFalse best to quarantine: {false_best}")
finally:
    store.close()
