"""Create a quality-certificate summary from a recorded delivery run."""
from pathlib import Path

from contexta_git import Contexta
from contexta_git.config import UnifiedConfig, WorkspaceConfig

PROJECT_NAME = "fraud-detection-financebank"
CLIENT_NAME = "FinanceBank Corp"
QUALITY_THRESHOLDS: dict[str, float] = {
    "accuracy": 0.90,
    "auc": 0.93,
    "f1": 0.88,
    "precision": 0.87,
    "recall": 0.86,
}
RUN_REF = f"run:{PROJECT_NAME}.fraud-model-v2-1"

ctx = Contexta(
    config=UnifiedConfig(
        project_name=PROJECT_NAME,
        workspace=WorkspaceConfig(root_path=Path(".contexta")),
    )
)
store = ctx.metadata_store
try:
    snapshot = ctx.get_run_snapshot(RUN_REF)
    metrics = {
        record.key: float(record.value)
        for record in snapshot.records
        if record.record_type == "metric" and record.value is not None
    }
    audit = ctx.audit_reproducibility(RUN_REF)
    print(f"MODEL QUALITY CERTIFICATE - {CLIENT_NAME}")
    print(f"Run: {snapshot.run.name}")
    print(f"Python: {audit.python_version}; packages: {audit.package_count}")
    overall = True
    for key, threshold in QUALITY_THRESHOLDS.items():
        passed = metrics[key] >= threshold
        overall = overall and passed
        status = "PASS" if passed else "FAIL"
        print(f"{key:<10} {metrics[key]:.4f} >= {threshold:.4f} [{status}]")
    report = ctx.build_snapshot_report(RUN_REF)
    print(f"Overall decision: {'PASS' if overall else 'FAIL'}")
    print(f"Report: {report.title}")
finally:
    store.close()
