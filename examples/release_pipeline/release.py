"""The loan-approval release pipeline (seed 003's walking skeleton) on contexta-git.

    python examples/release_pipeline/release.py --workdir /tmp/loans [--data good|nulls|biased]
    python examples/release_pipeline/release.py --workdir /tmp/loans --deploy FILE

The pipeline is the authority: data contract -> training recorded as a run ->
the gate decides Go/No-Go -> model card -> signed certificate -> deploy, which
refuses any model file whose sha256 is not in a verified certificate. A bad
dataset stops the line at the right step with a clear reason (exit status 1).
Needs the ``examples`` extra (scikit-learn, numpy).
"""

from __future__ import annotations

import argparse
import csv
import pickle
import shutil
import sys
from pathlib import Path

import numpy as np

import contexta_git
from contexta_git import Runs, card, certify, gate, load_policy, verify_artifact
from contexta_git.demo.cert import setup_signing
from contexta_git.git.repo import GitStore, git

HERE = Path(__file__).resolve().parent
VERSION = "1.0.0"
COLUMNS = ("income", "credit_score", "gender", "loan_approved")


class Stop(Exception):
    """The pipeline says No-Go: the step and the reason."""


def make_data(path: Path, kind: str, rows: int = 1000) -> None:
    """A synthetic loan book; ``nulls`` breaks the contract, ``biased`` the fairness."""
    rng = np.random.default_rng(42)
    gender = rng.choice(["M", "F"], rows)
    income = rng.integers(20_000, 100_000, rows)
    if kind == "biased":  # women's incomes drawn low: a proxy the model learns
        income = np.where(gender == "F", rng.integers(20_000, 45_000, rows), income)
    score = rng.integers(300, 850, rows)
    approved = ((score > 580) & (income > 40_000)).astype(int)
    flip = rng.random(rows) < 0.05
    approved = np.where(flip, 1 - approved, approved)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(COLUMNS)
        for i in range(rows):
            blank = kind == "nulls" and i % 97 == 0
            out.writerow(["" if blank else income[i], score[i], gender[i], approved[i]])


def load_and_validate(path: Path) -> dict[str, np.ndarray]:
    """Step 1, the data contract: fail loudly, name the column and the count."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or tuple(rows[0]) != COLUMNS:
        raise Stop(f"CONTRACT FAIL: expected columns {', '.join(COLUMNS)}")
    for column in COLUMNS:
        empty = sum(1 for r in rows if not r[column].strip())
        if empty:
            raise Stop(f"CONTRACT FAIL: {empty} null values in column {column}")
    data = {c: np.array([r[c] for r in rows]) for c in COLUMNS}
    data["income"] = data["income"].astype(float)
    data["credit_score"] = data["credit_score"].astype(float)
    data["loan_approved"] = data["loan_approved"].astype(int)
    if (data["income"] < 0).any():
        raise Stop("CONTRACT FAIL: negative income")
    if ((data["credit_score"] < 300) | (data["credit_score"] > 850)).any():
        raise Stop("CONTRACT FAIL: credit_score outside 300..850")
    if not set(data["gender"]) <= {"M", "F"} or not set(data["loan_approved"]) <= {0, 1}:
        raise Stop("CONTRACT FAIL: unexpected gender or label values")
    return data


def train_and_evaluate(repo: Path, data_file: Path, data: dict[str, np.ndarray],
                       build: Path) -> tuple[str, Path]:
    """Steps 2-3: train and evaluate (accuracy and fairness), all recorded as one run."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import train_test_split

    params = {"n_estimators": 10, "max_depth": 5, "test_size": 0.2, "random_state": 42}
    features = np.column_stack([data["income"], data["credit_score"]])
    with contexta_git.start_run(f"loan-approver-{VERSION}", project="loans", repo=repo,
                                params=params) as run:
        run.dataset("loans", version=data_file.stem, path=data_file, rows=len(features))
        with run.stage("train"):
            x_tr, x_te, y_tr, y_te, _, g_te = train_test_split(
                features, data["loan_approved"], data["gender"], test_size=0.2, random_state=42)
            model = RandomForestClassifier(n_estimators=10, max_depth=5, random_state=0)
            model.fit(x_tr, y_tr)
        with run.stage("evaluate"):
            pred = model.predict(x_te)
            rate_m, rate_f = pred[g_te == "M"].mean(), pred[g_te == "F"].mean()
            ratio = float(rate_f / rate_m) if rate_m > 0 else 0.0
            run.log_metrics({"accuracy": float(accuracy_score(y_te, pred)),
                             "disparate_impact": round(ratio, 6)})
        model_file = build / f"model_v{VERSION}.pkl"
        model_file.write_bytes(pickle.dumps(model))
        run.artifact(model_file, kind="model")
        return run.id.ref, model_file


def deploy(runs: Runs, model_file: Path, target: Path) -> Path:
    """Step 6: ship only a file whose digest a verified, passing certificate names."""
    found = verify_artifact(runs, model_file)
    if not found.ok:
        raise Stop(f"DEPLOY REFUSED: {model_file.name} (sha256 {found.sha256[:16]}...) is in "
                   "no verified certificate")
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(model_file, target / model_file.name)
    return target / model_file.name


def setup(workdir: Path) -> Path:
    repo = workdir / "loan-repo"
    if not (repo / ".git").exists():
        GitStore.init(repo)
        for key, value in (("user.name", "Release Bot"), ("user.email", "release@example.com")):
            git(["config", key, value], cwd=repo, check=True)
        git(["commit", "-q", "--allow-empty", "-m", "Start the loan approver"], cwd=repo, check=True)
        setup_signing(repo, workdir)
    return repo


def pipeline(workdir: Path, kind: str) -> None:
    repo, build = setup(workdir), workdir / "build"
    build.mkdir(parents=True, exist_ok=True)
    data_file = build / f"loans-{kind}.csv"
    make_data(data_file, kind)
    runs = Runs.open(repo)
    steps = ["data contract", "train and evaluate", "gate", "model card", "certify", "deploy"]
    step = 0
    try:
        step = 1
        data = load_and_validate(data_file)
        print("Step 1: data contract passed")
        step = 2
        ref, model_file = train_and_evaluate(repo, data_file, data, build)
        print(f"Step 2: trained and evaluated, recorded as {ref}")
        step = 3
        policy = load_policy(HERE / "policy.toml")
        result = gate(runs, ref, policy)
        for row in result.rows:
            print(f"  {row.metric:<18} {row.status:<4} {row.reason}")
        if not result.passed:
            failed = "; ".join(f"{r.metric} {r.reason}" for r in result.rows if r.status == "FAIL")
            raise Stop(f"NO-GO: {failed}")
        print("Step 3: gate GO")
        step = 4
        (workdir / "MODEL_CARD.md").write_text(card(
            runs, ref, policy=policy, model=f"Loan Approver v{VERSION}",
            intended_use="Automated screening for unsecured personal loans.",
            limitations="Not validated for incomes above $200k."))
        print("Step 4: model card written to MODEL_CARD.md")
        step = 5
        done = certify(runs, ref, policy, client="Lending Committee",
                       model=f"Loan Approver v{VERSION}", cert_id=f"loan-approver-{VERSION}")
        print(f"Step 5: certificate {done.tag.removeprefix('refs/tags/')} signed")
        step = 6
        shipped = deploy(runs, model_file, workdir / "deployed")
        print(f"Step 6: deployed {shipped.name}")
    except Stop as exc:
        print(f"PIPELINE STOPPED at step {step} ({steps[step - 1]}): {exc}")
        raise SystemExit(1) from None
    print("PIPELINE SUCCESS")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--data", choices=["good", "nulls", "biased"], default="good")
    parser.add_argument("--deploy", type=Path, help="Only run the deploy step on this file.")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.deploy:
        try:
            shipped = deploy(Runs.open(setup(args.workdir)), args.deploy, args.workdir / "deployed")
        except Stop as exc:
            print(f"PIPELINE STOPPED at step 6 (deploy): {exc}")
            raise SystemExit(1) from None
        print(f"Step 6: deployed {shipped.name}")
        return
    pipeline(args.workdir, args.data)


if __name__ == "__main__":
    main(sys.argv[1:])
