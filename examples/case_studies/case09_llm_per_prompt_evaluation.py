"""Case study 09: per-prompt evaluation of a RAG chatbot; the aggregate hides three
broken escalation prompts, which the per-sample records show. Unlike upstream's script,
the table is read back from the recorded samples, not recomputed from the seed.
(upstream's case 09, against contexta_git)"""

from __future__ import annotations

from _seed import Seeder, open_workspace

PROJECT = "support-chatbot-rag-eval"
PROMPTS = 20
FAILING = {7, 12, 17}
CATEGORIES = ["account", "billing", "product", "escalation"]


def scores(i: int) -> tuple[float, float, int]:
    if i in FAILING:
        return round(0.05 + (i % 3) * 0.07, 3), round(0.12 + (i % 5) * 0.04, 3), 18 + (i % 4) * 3
    return (round(0.78 + (i % 7) * 0.02 + (i % 3) * 0.01, 3), round(0.81 + (i % 5) * 0.02, 3),
            45 + (i % 8) * 5)


def seed(s: Seeder) -> str:
    s.put_project("RAG customer support chatbot evaluation suite", "2025-04-10T00:00:00Z")
    ref = s.put_run("eval-run-v1", "2025-04-10T10:00:00Z", "2025-04-10T10:30:00Z")
    stage = s.put_stage(ref, "evaluate", "2025-04-10T10:00:00Z", "2025-04-10T10:30:00Z", 0)
    s.event(ref, "eval.suite-registered", f"Evaluation suite: {PROMPTS} prompts across 4 "
            "categories.", "2025-04-10T10:00:00Z", stage=stage,
            attributes={"prompt_count": PROMPTS, "categories": ",".join(CATEGORIES)})
    for i in range(1, PROMPTS + 1):
        at = f"2025-04-10T10:{i:02d}:00Z"
        sample = s.put_sample(ref, stage, f"prompt-{i:02d}", at)
        relevance, faithfulness, length = scores(i)
        for key, value in (("relevance", relevance), ("faithfulness", faithfulness),
                           ("answer-length", float(length))):
            s.metric(ref, key, value, at, stage=stage, sample=sample)
    return ref


def main() -> None:
    ctx = open_workspace(PROJECT, __doc__)
    ref = seed(Seeder(ctx, PROJECT, "contexta.case09"))
    print("=" * 60)
    print("CASE STUDY 09: LLM Per-Prompt Evaluation")
    print("=" * 60)
    print()
    snap = ctx.get_run_snapshot(ref)
    by_sample: dict[str, dict[str, float]] = {}
    for r in snap.records:
        if r.record_type == "metric" and r.sample_id:
            by_sample.setdefault(r.sample_id, {})[r.key] = r.value
    print(f"  {'Prompt':<14} {'Category':<12} {'Relevance':<12} {'Faithfulness':<14} "
          f"{'Length':<8} Status")
    print("  " + "-" * 72)
    failing = []
    samples = ctx.list_samples(ref, stage_id="evaluate")
    for number, sample in enumerate(samples, 1):
        m = by_sample[sample.sample_id]
        bad = m["relevance"] < 0.3
        if bad:
            failing.append(sample.name)
        print(f"  {sample.name:<14} {CATEGORIES[(number - 1) % 4]:<12} {m['relevance']:<12.3f} "
              f"{m['faithfulness']:<14.3f} {int(m['answer-length']):<8} "
              f"{'FAIL <--' if bad else 'pass'}")
    n = len(samples)
    print("\nAggregate summary:")
    print(f"  Total prompts:       {n}")
    print(f"  Passing (>= 0.3):    {n - len(failing)}")
    print(f"  Failing (< 0.3):     {len(failing)}  -- {', '.join(failing)}")
    print(f"  Avg relevance:       {sum(by_sample[x.sample_id]['relevance'] for x in samples) / n:.3f}")
    print(f"  Avg faithfulness:    "
          f"{sum(by_sample[x.sample_id]['faithfulness'] for x in samples) / n:.3f}")


if __name__ == "__main__":
    main()
