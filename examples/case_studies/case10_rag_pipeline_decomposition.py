"""Case study 10: a RAG pipeline's answer quality dropped; comparing its stages shows
the drop starts at retrieval. (upstream's case 10, against contexta_git)"""

from __future__ import annotations

from _seed import Seeder, open_workspace

PROJECT = "knowledge-base-rag"
STAGES = {  # stage -> {metric: (v1, v2)}
    "retrieve": {"retrieval-precision": (0.82, 0.55), "retrieval-recall": (0.79, 0.51)},
    "rerank": {"rerank-ndcg": (0.81, 0.61), "rerank-mrr": (0.77, 0.57)},
    "generate": {"generation-fluency": (0.88, 0.76), "generation-coherence": (0.85, 0.68)},
    "evaluate": {"answer-quality": (0.87, 0.64), "faithfulness": (0.84, 0.59)},
}


def seed(s: Seeder) -> tuple[str, str]:
    s.put_project("Knowledge-base RAG pipeline", "2025-04-01T00:00:00Z")
    refs = []
    for version, (name, day) in enumerate((("rag-v1-baseline", "2025-04-01"),
                                           ("rag-v2-degraded", "2025-04-15"))):
        ref = s.put_run(name, f"{day}T10:00:00Z", f"{day}T12:00:00Z")
        for order, (stage_name, metrics) in enumerate(STAGES.items()):
            start, end = f"{day}T1{order}:00:00Z", f"{day}T1{order}:30:00Z"
            stage = s.put_stage(ref, stage_name, start, end, order)
            for key, values in metrics.items():
                s.metric(ref, key, values[version], end, stage=stage)
            if version == 1 and stage_name == "retrieve":
                s.degraded(ref, "rag.retrieval_precision_drop", "verification", "warning",
                           "Retrieval precision fell below 0.6 after the index rebuild.", end,
                           stage=stage, attributes={"retrieval_precision": 0.55})
                s.event(ref, "rag.retrieval-warning", "Index rebuild dropped document "
                        "embeddings for 3 knowledge-base sections.", end, level="warning",
                        stage=stage)
        refs.append(ref)
    return refs[0], refs[1]


def main() -> None:
    ctx = open_workspace(PROJECT, __doc__)
    v1, v2 = seed(Seeder(ctx, PROJECT, "contexta.case10"))
    print("=" * 60)
    print("CASE STUDY 10: RAG Pipeline Decomposition")
    print("=" * 60)
    comparison = ctx.compare_runs(v1, v2)
    root = None
    for stage in comparison.stage_comparisons:  # pipeline order (upstream: alphabetical)
        print(f"\n[{stage.stage_name}]")
        for d in stage.metric_deltas:
            print(f"  {d.metric_key:<22} {d.left_value:.2f} -> {d.right_value:.2f}  "
                  f"delta={d.delta:+.2f}")
        if root is None and any(d.delta is not None and d.delta < 0 for d in stage.metric_deltas):
            root = stage.stage_name
            print("  <-- ROOT STAGE (first stage in pipeline order to drop)")
    print(f"\nRoot stage: {root}")
    print(f"\nDiagnostics for {v2}:")
    for issue in ctx.diagnose_run(v2).issues:
        print(f"  [{issue.severity.upper()}] {issue.code}: {issue.summary}")


if __name__ == "__main__":
    main()
