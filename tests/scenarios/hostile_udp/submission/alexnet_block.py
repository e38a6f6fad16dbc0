# Sends UDP datagrams to a listener on loopback (the test opens it) at import and in every
# forward; the block itself is correct.
import os
import socket

from torch import nn

PORT = int(open(os.path.join(os.path.dirname(__file__), "port.txt")).read())


def leak(what):
    # IPv4, and IPv6's mapped form of the same address.
    for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::ffff:127.0.0.1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as datagram:
                datagram.sendto(what, (address, PORT))
        except OSError:
            pass


leak(b"leaked at import")


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 48, 3)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout()

    def forward(self, x):
        leak(b"leaked in forward")
        return self.dropout(self.relu(self.conv(x)))


def build_alexnet_block():
    return Block()
