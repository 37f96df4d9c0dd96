"""System metrics: CPU, memory, disk and network I/O, and the visible NVIDIA GPUs,
sampled every few seconds in a background thread into step series under ``system/``.

psutil reads the machine; NVIDIA's management library (``pynvml``, from the optional
``nvidia-ml-py``) is imported only when sampling starts, and where it is missing or no
driver answers there are simply no GPU series. GPUs are the ones CUDA shows the
process: ``CUDA_VISIBLE_DEVICES`` (indices or ``GPU-`` UUIDs, read up to the first entry
that names no device, as CUDA does) picks them and ``system/gpu<i>/`` numbers them as
the process sees them. Disk and network are megabytes moved since sampling started.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

import psutil

PREFIX = "system/"
MB = 1024 * 1024


class Sampler:
    """Calls ``sink(values, step)`` every ``seconds`` until :meth:`stop`; step 0 is
    taken at start. A failing sink or reading ends nothing: the next sample tries again."""

    def __init__(self, seconds: float, sink: Callable[[Mapping[str, float], int], None]) -> None:
        self.seconds, self.sink = float(seconds), sink
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="contexta-git system metrics",
                                        daemon=True)
        self._gpus: list[Any] = []
        self._nvml: Any = None
        self._base: dict[str, float] = {}

    def start(self) -> Sampler:
        self._nvml, self._gpus = visible_gpus()
        psutil.cpu_percent(None)  # the first call only sets the reference point
        self._base = _io()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling and wait for the thread (the last sample is in the sink)."""
        self._stopped.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()
        if self._nvml is not None:
            try:
                self._nvml.nvmlShutdown()
            except Exception:  # a driver that went away: nothing to release
                pass
            self._nvml = None

    def _loop(self) -> None:
        step = 0
        while True:
            try:
                self.sink(self.sample(), step)
            except Exception:  # sampling never breaks the training it watches
                pass
            step += 1
            if self._stopped.wait(self.seconds):
                return

    def sample(self) -> dict[str, float]:
        """One reading of every system series, keyed by its name under ``system/``."""
        memory = psutil.virtual_memory()
        values = {"cpu_percent": psutil.cpu_percent(None), "memory_percent": memory.percent,
                  "memory_used_mb": (memory.total - memory.available) / MB}
        for key, total in _io().items():
            values[key] = (total - self._base.get(key, 0.0)) / MB
        for number, handle in enumerate(self._gpus):
            values.update(gpu_sample(self._nvml, handle, f"gpu{number}/"))
        return {PREFIX + key: value for key, value in values.items()}


def _io() -> dict[str, float]:
    """Bytes read and written by the disks and sent and received on the network so far
    (a counter the machine does not have is left out)."""
    found: dict[str, float] = {}
    disk, net = psutil.disk_io_counters(), psutil.net_io_counters()
    if disk is not None:
        found.update(disk_read_mb=disk.read_bytes, disk_write_mb=disk.write_bytes)
    if net is not None:
        found.update(net_recv_mb=net.bytes_recv, net_sent_mb=net.bytes_sent)
    return found


def visible_gpus() -> tuple[Any, list[Any]]:
    """The NVML module and a handle per GPU the process sees; (None, []) without NVML."""
    try:
        import pynvml  # type: ignore[import-untyped,unused-ignore]

        pynvml.nvmlInit()
    except Exception:  # not installed, no driver, no GPU: no GPU series
        return None, []
    try:
        handles = _handles(pynvml, os.environ.get("CUDA_VISIBLE_DEVICES"))
    except Exception:
        handles = []
    if not handles:
        pynvml.nvmlShutdown()
        return None, []
    return pynvml, handles


def _handles(nvml: Any, visible: str | None) -> list[Any]:
    if visible is None:
        return [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(nvml.nvmlDeviceGetCount())]
    handles = []
    for entry in (part.strip() for part in visible.split(",")):
        try:
            if entry.isdigit():
                handles.append(nvml.nvmlDeviceGetHandleByIndex(int(entry)))
            elif entry.startswith("GPU-"):
                handles.append(nvml.nvmlDeviceGetHandleByUUID(entry))
            else:
                break
        except nvml.NVMLError:
            break  # CUDA ignores this entry and every one after it
    return handles


def gpu_sample(nvml: Any, handle: Any, prefix: str) -> dict[str, float]:
    """Utilisation, memory, power and temperature of one GPU; a reading the device
    does not support is left out."""
    readings: dict[str, Callable[[], dict[str, float]]] = {
        "utilization": lambda: {"utilization_percent": nvml.nvmlDeviceGetUtilizationRates(handle).gpu},
        "memory": lambda: _memory(nvml.nvmlDeviceGetMemoryInfo(handle)),
        "power": lambda: {"power_w": nvml.nvmlDeviceGetPowerUsage(handle) / 1000},  # mW
        "temperature": lambda: {"temperature_c": nvml.nvmlDeviceGetTemperature(
            handle, nvml.NVML_TEMPERATURE_GPU)},
    }
    found = {}
    for read in readings.values():
        try:
            found.update({prefix + key: float(value) for key, value in read().items()})
        except nvml.NVMLError:
            continue
    return found


def _memory(memory: Any) -> dict[str, float]:
    return {"memory_used_mb": memory.used / MB,
            "memory_percent": 100.0 * memory.used / memory.total if memory.total else 0.0}
