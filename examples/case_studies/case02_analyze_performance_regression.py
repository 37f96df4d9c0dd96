"""Analyze previously recorded performance-regression runs."""

from pathlib import Path

from contexta_git import Contexta
from contexta_git.config import UnifiedConfig, WorkspaceConfig

PROJECT_NAME = "product-categorization"
LAST_MONTH = f"run:{PROJECT_NAME}.last-month"
THIS_MONTH = f"run:{PROJECT_NAME}.this-month"

ctx = Contexta(
    config=UnifiedConfig(
        project_name=PROJECT_NAME,
        workspace=WorkspaceConfig(root_path=Path(".contexta")),
    )
)
store = ctx.metadata_store
try:
    comparison = ctx.compare_runs(LAST_MONTH, THIS_MONTH)
    print("Metric comparison: last-month -> this-month")
    for stage in comparison.stage_comparisons:
        for delta in stage.metric_deltas:
            if delta.delta is not None:
                print(f"{stage.stage_name}/{delta.metric_key}: {delta.delta:+.4f}")

    env_diff = ctx.compare_environments(LAST_MONTH, THIS_MONTH)
    print("\nEnvironment changes:")
    print(f"Python changed: {env_diff.python_version_changed}")
    for change in env_diff.changed_packages:
        print(f"{change.key}: {change.left_value} -> {change.right_value}")

    audit = ctx.audit_reproducibility(THIS_MONTH)
    print(f"\nReproducibility: {audit.reproducibility_status}")
    print(f"Packages logged: {audit.package_count}")
finally:
    store.close()
