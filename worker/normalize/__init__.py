"""Normalization: run the dbt project (raw_records -> product.*) as a subprocess.

dbt runs in its own process, awaited asynchronously, so a worker's event loop (and procrastinate's
heartbeat on it) is never blocked; each run gets its own target and log directory, so two runs
never share dbt's files.
"""

from worker.normalize.runner import (
    DBT_PROJECT_ROOT,
    dbt_command,
    dbt_env,
    dbt_executable,
    dbt_vars,
    run_dbt,
    run_dbt_sync,
)

__all__ = ["DBT_PROJECT_ROOT", "dbt_command", "dbt_env", "dbt_executable", "dbt_vars", "run_dbt", "run_dbt_sync"]
