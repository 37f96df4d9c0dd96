"""System metrics: sampled into ``system/`` series from start to finish, stopped with the
run however it ends, never sampled unless asked, and no GPU series without NVML."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from contexta_git.cli.main import cli
from contexta_git.core.names import RunId
from contexta_git.errors import InvalidValue
from contexta_git.record import system
from contexta_git.record.run import start_run
from contexta_git.store import series
from contexta_git.store.runs import Runs

MACHINE = {"system/cpu_percent", "system/memory_percent", "system/memory_used_mb"}


def _sampler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "contexta-git system metrics"]


def _keys(repo: Path, name: str) -> set[str]:
    return set(Runs.open(repo).get(RunId("p", name)).series_summaries())


def _steps(repo: Path, name: str, key: str) -> list[int]:
    runs = Runs.open(repo)
    return [s for block in series.points(runs.view(), RunId("p", name), key) for s in block.steps]


def test_a_run_samples_the_machine_until_it_finishes(repo: Path) -> None:
    with start_run("sys", project="p", repo=repo, capture_environment=False,
                   system_metrics=0.1) as run:
        run.log_metric("loss", 1.0, step=0)
        time.sleep(0.45)
        assert len(_sampler_threads()) == 1
    assert _sampler_threads() == []  # stopped with the run
    keys = _keys(repo, "sys")
    assert MACHINE <= keys
    assert all(k.startswith("system/") for k in keys - {"loss"})
    steps = _steps(repo, "sys", "system/cpu_percent")
    assert steps == list(range(len(steps))) and len(steps) >= 3
    data = Runs.open(repo).get(RunId("p", "sys"))
    memory = data.series_summaries()["system/memory_percent"]
    assert 0 < memory.last <= 100
    assert data.series_summaries()["system/cpu_percent"].stage is None


def test_sampling_stops_and_the_run_fails_when_the_training_raises(repo: Path) -> None:
    with pytest.raises(KeyboardInterrupt), start_run("boom", project="p", repo=repo,
                                                     capture_environment=False,
                                                     system_metrics=0.1):
        time.sleep(0.25)
        raise KeyboardInterrupt
    assert _sampler_threads() == []
    assert Runs.open(repo).get(RunId("p", "boom")).status == "failed"
    assert "system/cpu_percent" in _keys(repo, "boom")


def test_samples_and_the_callers_records_never_cross_a_commit(repo: Path) -> None:
    """The sampler commits (flush_interval 0) while the caller logs as fast as it can:
    every point of both ends up on the branch exactly once."""
    with start_run("busy", project="p", repo=repo, capture_environment=False, flush_interval=0,
                   system_metrics=0.1) as run:
        for step in range(300):
            run.log_metric("loss", float(step), step=step)
    assert _steps(repo, "busy", "loss") == list(range(300))
    steps = _steps(repo, "busy", "system/cpu_percent")
    assert sorted(steps) == list(range(len(steps)))


def test_off_unless_asked(repo: Path) -> None:
    with start_run("quiet", project="p", repo=repo, capture_environment=False) as run:
        run.log_metric("loss", 1.0, step=0)
        assert _sampler_threads() == []
    assert _keys(repo, "quiet") == {"loss"}


@pytest.mark.parametrize("seconds", [-1, 0.01, "5", True, float("nan")])
def test_a_bad_interval_is_refused_before_anything_is_written(repo: Path, seconds: object) -> None:
    with pytest.raises(InvalidValue, match="system_metrics must be a number of seconds"):
        start_run("bad", project="p", repo=repo, system_metrics=seconds)  # type: ignore[arg-type]
    assert Runs.open(repo).ids() == []


def test_no_gpu_series_without_nvml(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine has no NVIDIA driver: with nvidia-ml-py installed NVML fails to start,
    without it the import fails; either way, no GPU and no crash."""
    assert system.visible_gpus() == (None, [])
    monkeypatch.setitem(sys.modules, "pynvml", None)  # as if nvidia-ml-py were not installed
    assert system.visible_gpus() == (None, [])
    with start_run("cpu", project="p", repo=repo, capture_environment=False,
                   system_metrics=0.1):
        time.sleep(0.15)
    assert not any("gpu" in key for key in _keys(repo, "cpu"))


class _NVMLError(Exception):
    pass


def test_cuda_visible_devices_picks_and_numbers_the_gpus() -> None:
    """Against a stand-in for the NVML module (the machine has no GPU): indices and
    UUIDs as CUDA reads them, up to the first entry that names no device."""
    class FakeNVML:
        NVMLError = _NVMLError

        def nvmlDeviceGetCount(self) -> int:
            return 3

        def nvmlDeviceGetHandleByIndex(self, index: int) -> str:
            if index >= 3:
                raise _NVMLError("invalid argument")
            return f"gpu{index}"

        def nvmlDeviceGetHandleByUUID(self, uuid: str) -> str:
            if uuid != "GPU-aaaa":
                raise _NVMLError("not found")
            return "gpu1"

    nvml = FakeNVML()
    assert system._handles(nvml, None) == ["gpu0", "gpu1", "gpu2"]
    assert system._handles(nvml, "2,0") == ["gpu2", "gpu0"]
    assert system._handles(nvml, "GPU-aaaa, 2") == ["gpu1", "gpu2"]
    assert system._handles(nvml, "1,7,0") == ["gpu1"]
    assert system._handles(nvml, "") == []
    assert system._handles(nvml, "-1") == []


def test_run_command_samples_while_the_command_runs(repo: Path) -> None:
    result = CliRunner().invoke(cli, ["--repo", str(repo), "run", "-p", "p", "-n", "cmd",
                                      "--system-metrics", "0.1", "--", sys.executable, "-c",
                                      "import time; time.sleep(0.4)"])
    assert result.exit_code == 0, result.output
    assert MACHINE <= _keys(repo, "cmd")
    assert len(_steps(repo, "cmd", "system/cpu_percent")) >= 3


def test_run_command_refuses_a_bad_interval(repo: Path) -> None:
    result = CliRunner().invoke(cli, ["--repo", str(repo), "run", "-p", "p", "-n", "cmd",
                                      "--system-metrics", "0", "--", "true"])
    assert result.exit_code == 2
    assert "Invalid value for '--system-metrics'" in result.output
    assert Runs.open(repo).ids() == []


def test_an_interrupted_command_still_gets_its_samples(repo: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "contexta_git", "run", "-p", "p", "-n", "int",
                             "--system-metrics", "0.1", "--", sys.executable, "-c",
                             "import time; print('ready', flush=True); time.sleep(60)"],
                            cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    assert Runs.open(repo).get(RunId("p", "int")).status == "failed"
    assert "system/cpu_percent" in _keys(repo, "int")


def test_a_gpu_reading_names_its_series_and_leaves_out_what_the_board_lacks() -> None:
    """Against a stand-in for NVML: units converted (bytes to MB, mW to W), and a reading
    the board does not support (power) left out."""
    from types import SimpleNamespace

    class FakeNVML:
        NVMLError = _NVMLError
        NVML_TEMPERATURE_GPU = 0

        def nvmlDeviceGetUtilizationRates(self, handle: str) -> SimpleNamespace:
            return SimpleNamespace(gpu=87, memory=40)

        def nvmlDeviceGetMemoryInfo(self, handle: str) -> SimpleNamespace:
            return SimpleNamespace(used=2 * system.MB * 1024, total=8 * system.MB * 1024)

        def nvmlDeviceGetPowerUsage(self, handle: str) -> int:
            raise _NVMLError("not supported")

        def nvmlDeviceGetTemperature(self, handle: str, sensor: int) -> int:
            return 61

    assert system.gpu_sample(FakeNVML(), "h", "gpu1/") == {
        "gpu1/utilization_percent": 87.0, "gpu1/memory_used_mb": 2048.0,
        "gpu1/memory_percent": 25.0, "gpu1/temperature_c": 61.0}
