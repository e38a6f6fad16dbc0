# The builder returns torchvision's ResNet-50 instead of building one.
def build_resnet50(num_classes=1000):
    from torchvision.models import resnet50

    return resnet50(num_classes=num_classes)
