"""The judge: pytest with the grader's plugin, in a process that never imports student code."""
