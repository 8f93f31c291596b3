"""Runs spread over processes, GPUs and nodes with Dask.

A run's units (a chunk of one scenario's paths) are independent and write
their own files into the results directory, so Dask only has to place them:
each unit is one task, executed by ``engine.run_unit`` on whichever worker
gets it, on that worker's device. The client then combines the unit
summaries in plan order (``Run.finish``), exactly as a single process does,
so the results are identical.

A worker that dies takes its running tasks with it and Dask reschedules them
on the others (up to its ``allowed-failures``); a task that raises is retried
``retries`` times. A unit whose summary exists is not run again, and every
file is written under a temporary name and renamed into place, so each unit
leaves exactly one copy of its files even if a rescheduled unit runs twice,
and a half-written file never counts. ``--resume`` works unchanged: the units
already done are skipped.

``--cluster local[:N]`` starts a local cluster: one worker per GPU with
dask-cuda's LocalCUDACluster when GPUs are present, else N CPU worker
processes (default: one per two cores) whose numba threads share the cores.
``--scheduler ADDRESS`` uses an existing cluster; its workers need gpu-stress
installed and the results directory on a shared filesystem.
"""

import os
from contextlib import contextmanager

from .chunks import run_unit, unit_record_path
from .errors import UserError

CONNECT_TIMEOUT = "10s"


class DistributedError(UserError, RuntimeError):
    """A cluster that cannot be used; ``str()`` is one line."""


def parse_cluster(option):
    """``local`` or ``local:N`` -> N (None for "decide")."""
    name, _, count = option.partition(":")
    if name != "local" or (count and not count.isdigit()) or count == "0":
        raise DistributedError(f"cluster: expected local or local:N, got {option!r}")
    return int(count) if count else None


def check_options(cluster, scheduler):
    """Fail early (before a results directory exists) on unusable options."""
    if cluster and scheduler:
        raise DistributedError("cluster: give --cluster or --scheduler, not both")
    if cluster:
        parse_cluster(cluster)
    _dask()


def _dask():
    try:
        import distributed
    except ImportError:
        raise DistributedError("cluster: Dask is not installed (pip install 'gpu-stress[distributed]')") from None
    return distributed


@contextmanager
def connect(cluster=None, scheduler=None, backend="cpu"):
    """A Dask client for a local cluster (``local[:N]``) or an existing scheduler."""
    distributed = _dask()
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise DistributedError(f"scheduler: cannot reach {scheduler} ({reason})") from None
        with client:
            yield client
        return
    workers = parse_cluster(cluster)
    if backend == "cuda":
        try:
            from dask_cuda import LocalCUDACluster
        except ImportError:
            raise DistributedError("cluster: GPU workers need dask-cuda (pip install dask-cuda)") from None
        local = LocalCUDACluster(n_workers=workers)  # one worker per GPU unless told otherwise
    else:
        cores = os.cpu_count() or 1
        workers = workers or max(1, cores // 2)
        threads = max(1, cores // workers)
        local = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env={"NUMBA_NUM_THREADS": str(threads)},
        )
    with local, distributed.Client(local) as client:
        yield client


def run_unit_once(spec, unit):
    """``run_unit`` unless a previous attempt (or a resumed run) already finished it."""
    if unit_record_path(spec.directory, unit).exists():
        return 0.0
    return run_unit(spec, unit)


def execute(job, client, units=None, on_unit_done=None, retries=3):
    """Run ``units`` (default: the pending ones) of ``job`` on the cluster behind ``client``."""
    distributed = _dask()
    units = job.pending() if units is None else units
    # The spec goes to every worker once; task keys name the run (its unique id) and the unit.
    spec = client.scatter(job.spec, broadcast=True, hash=False)
    run_id = job.record.run_id
    futures = {
        client.submit(run_unit_once, spec, unit, key=f"gpu-stress-{run_id}-{unit.name}", retries=retries): unit
        for unit in units
    }
    for future in distributed.as_completed(futures):
        future.result()  # raises the task's error, if any, after its retries
        job.simulated_paths += futures[future].paths
        if on_unit_done is not None:
            on_unit_done(futures[future])
