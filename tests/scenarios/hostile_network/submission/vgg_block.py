# Connects to a listener on loopback (the test opens it), then builds a correct block.
import os
import socket

from torch import nn

port = int(open(os.path.join(os.path.dirname(__file__), "port.txt")).read())
for family, address in ((socket.AF_INET, ("127.0.0.1", port)), (socket.AF_INET6, ("::1", port))):
    try:
        with socket.socket(family, socket.SOCK_STREAM) as connection:
            connection.settimeout(1)
            connection.connect(address)
            connection.sendall(b"leaked")
    except OSError:
        pass
try:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagram:
        datagram.sendto(b"leaked", ("127.0.0.1", port))
except OSError:
    pass


def build_vgg_block():
    return nn.Sequential(nn.Conv2d(1, 8, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2))
