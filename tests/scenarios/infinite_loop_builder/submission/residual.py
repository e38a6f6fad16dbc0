def build_residual(in_channels=256, bottleneck_channels=64):
    while True:
        pass
