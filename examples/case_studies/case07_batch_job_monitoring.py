"""Case study 07: a nightly ETL job exits 0 while a vendor schema change nulls a feature
column on night 5; the degraded record in its batch is flagged that night.
(upstream's case 07, against contexta_git)"""

from __future__ import annotations

from _seed import Seeder, open_workspace

PROJECT = "nightly-etl-feature-engineering"
STAGE = "feature-engineering"
PROBLEM_NIGHT = 5


def seed_night(s: Seeder, night: int) -> str:
    date = f"2025-04-{night:02d}"
    ref = s.put_run(f"etl-night-{night:02d}", f"{date}T01:00:00Z", f"{date}T01:45:00Z")
    stage = s.put_stage(ref, STAGE, f"{date}T01:00:00Z", f"{date}T01:30:00Z", 0)
    name = f"batch-night-{night:02d}"
    batch = s.put_batch(ref, stage, name, f"{date}T01:05:00Z", f"{date}T01:25:00Z")
    at = f"{date}T01:30:00Z"
    bad = night == PROBLEM_NIGHT
    rows = 0 if bad else 118_000 + night * 200
    s.metric(ref, "rows-processed", float(rows), at, stage=stage, batch=batch)
    s.metric(ref, "feature-null-rate", 1.0 if bad else 0.002, at, stage=stage, batch=batch)
    if bad:
        s.degraded(ref, "etl.feature_column_null_overflow", "verification", "warning",
                   "Feature column purchase_amount was fully zeroed after vendor schema change "
                   "dropped the source field. Join succeeded but all values are NULL. Exit code "
                   "was 0.", at, stage=stage, batch=batch,
                   attributes={"column": "purchase_amount", "null_rate": 1.0,
                               "vendor_schema_version": "v2", "expected_schema_version": "v1"})
        s.event(ref, "etl.batch-completed", f"Batch {name} completed. purchase_amount column "
                "zeroed (vendor schema mismatch). Exit code: 0.", at, level="warning",
                stage=stage, batch=batch)
    else:
        s.event(ref, "etl.batch-completed", f"Batch {name} completed. {rows} rows processed.",
                at, stage=stage, batch=batch)
    return ref


def main() -> None:
    ctx = open_workspace(PROJECT, __doc__)
    s = Seeder(ctx, PROJECT, "contexta.case07")
    s.put_project("Nightly ETL feature-engineering pipeline", "2025-04-01T00:00:00Z")
    print("=" * 60)
    print("CASE STUDY 07: Nightly Batch Job Monitoring")
    print("=" * 60)
    print()
    print(f"  {'Night':<8} {'Run Name':<22} {'Rows Processed':<18} {'Null Rate':<12} Issues")
    print("  " + "-" * 72)
    flagged = []
    for night in range(1, 8):
        ref = seed_night(s, night)  # checked the night it ran
        snap, diag = ctx.get_run_snapshot(ref), ctx.diagnose_run(ref)
        values = {r.key: r.value for r in snap.records if r.record_type == "metric"}
        degraded = [i for i in diag.issues if i.code == "degraded_record"]
        status = ",".join(b.status for b in ctx.list_batches(ref))
        flag = " <-- SCHEMA MISMATCH DETECTED" if degraded else ""
        print(f"  {night:<8} {snap.run.name:<22} {int(values['rows-processed']):<18} "
              f"{values['feature-null-rate']:<12.4f} {len(degraded)} degraded "
              f"(batch {status}){flag}")
        if degraded:
            flagged.append((night, ref))
    print()
    for night, ref in flagged:
        print(f"Diagnostics for problem night (night {night}):")
        for issue in ctx.diagnose_run(ref).issues:
            print(f"  [{issue.severity.upper()}] {issue.code}: {issue.summary}")
        print()
    print(f"Flagged nights: {[n for n, _ in flagged]}; first flagged on night "
          f"{flagged[0][0] if flagged else None}, the night it happened.")


if __name__ == "__main__":
    main()
