"""Case study 03: a nightly pipeline's validate stage passes an empty frame downstream;
every stage says "completed", and diagnose_run flags the degraded record on day 1.
(upstream's case 03, against contexta_git)"""

from __future__ import annotations

from _seed import Seeder, open_workspace

PROJECT = "nightly-ml-pipeline"
STAGES = ["ingest", "preprocess", "validate", "train", "evaluate"]


def seed_day(s: Seeder, day: int) -> str:
    date = f"2025-03-{17 + day:02d}"
    ref = s.put_run(f"nightly-day{day}", f"{date}T02:00:00Z", f"{date}T04:30:00Z")
    times = ["02:00", "02:20", "02:50", "03:00", "04:00", "04:30"]
    stage = {name: s.put_stage(ref, name, f"{date}T{times[i]}:00Z", f"{date}T{times[i + 1]}:00Z", i)
             for i, name in enumerate(STAGES)}
    s.event(ref, "pipeline.ingest-complete", "Loaded 120000 rows from warehouse.",
            f"{date}T02:19:00Z", stage=stage["ingest"])
    s.event(ref, "pipeline.preprocess-complete", "Feature engineering done. 118,432 valid rows.",
            f"{date}T02:49:00Z", stage=stage["preprocess"])
    s.degraded(ref, "validate.empty_dataframe_passthrough", "capture", "error",
               "Validate stage received 0 rows after schema migration. Empty DataFrame passed "
               "to train stage without raising an exception.", f"{date}T02:59:00Z",
               stage=stage["validate"],
               attributes={"row_count": 0, "expected_minimum_rows": 10000, "stage": "validate"})
    s.event(ref, "pipeline.validate-complete",
            "Validation check passed (0 rows - schema join returned empty).",
            f"{date}T02:59:00Z", level="warning", stage=stage["validate"])
    s.metric(ref, "train.loss", 2.31, f"{date}T03:59:00Z", stage=stage["train"], scope="stage")
    s.metric(ref, "train.accuracy", 0.11, f"{date}T03:59:00Z", stage=stage["train"], scope="stage")
    s.event(ref, "training.epoch-end", "Training complete. loss=2.310", f"{date}T03:59:00Z",
            stage=stage["train"])
    s.metric(ref, "eval.accuracy", 0.12, f"{date}T04:29:00Z", stage=stage["evaluate"],
             scope="stage")
    s.event(ref, "evaluation.complete", "Eval accuracy=0.120", f"{date}T04:29:00Z",
            level="warning", stage=stage["evaluate"])
    return ref


def main() -> None:
    ctx = open_workspace(PROJECT, __doc__)
    s = Seeder(ctx, PROJECT, "contexta.case03")
    s.put_project("Nightly ML training pipeline (5 stages)", "2025-01-01T00:00:00Z")
    print("=" * 60)
    print("CASE STUDY 03: Silent Pipeline Failure")
    print("=" * 60)
    print()
    first_caught = None
    for day in (1, 2, 3):
        ref = seed_day(s, day)
        diag = ctx.diagnose_run(ref)  # the night it ran: as a nightly check would
        snap = ctx.get_run_snapshot(ref)
        degraded = [i for i in diag.issues if i.code == "degraded_record"]
        warnings = [i for i in diag.issues if i.severity == "warning"]
        print(f"Day {day} run: '{snap.run.name}'")
        print("  Stage statuses: " + ", ".join(f"{st.name}={st.status}" for st in snap.stages))
        print(f"  Diagnostics issues: {len(diag.issues)} total  ({len(warnings)} warnings, "
              f"{len(degraded)} degraded-record flags)")
        for issue in diag.issues:
            print(f"    [{issue.severity.upper()}] {issue.code}: {issue.summary}")
        print()
        if degraded and first_caught is None:
            first_caught = day
    print("Key insight:")
    print("  train/evaluate stages both show 'completed'.")
    print("  But diagnostics flags the DegradedRecord in the validate stage.")
    print(f"  Caught on day {first_caught}: the first night it happened.")


if __name__ == "__main__":
    main()
