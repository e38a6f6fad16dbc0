# A double-forked daemon in its own session: it waits for grading to end, then tries to
# write a fake report. Then a correct block is built.
import os
import time

from torch import nn

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("python3", ["python3", "-c",
            "import time, json\n"
            "time.sleep(8)\n"
            "open('/tmp/grader-hostile-daemon-report.json', 'w').write(json.dumps({'score': 40}))\n",
            "grader-hostile-daemon"])
    os._exit(0)
time.sleep(0.2)


def build_vgg_block():
    return nn.Sequential(nn.Conv2d(1, 8, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2))
