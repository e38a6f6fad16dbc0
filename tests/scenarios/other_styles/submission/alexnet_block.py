# Own class, own attribute names, layers registered in another order than forward uses them.
from torch import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.regularise = nn.Dropout(p=0.5)
        self.act = nn.ReLU(inplace=True)
        self.features = nn.Conv2d(in_channels=3, out_channels=48, kernel_size=(3, 3))

    def forward(self, images):
        return self.regularise(self.act(self.features(images)))


def build_alexnet_block():
    return Block()
