"""`DemoFailed`: any step's failure; the demo stops and names the step (run.run_demo)."""


class DemoFailed(Exception):
    pass
