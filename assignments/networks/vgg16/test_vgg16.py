"""Checks of the vgg16 exercise: the whole VGG16 (see assignments/README.md for the points).

Shapes at the full size on the meta device; behaviour on a small input with the judge's
weights and BatchNorm statistics; everything also at num_classes=10. Built from
torchvision.models instead of layers, every check fails (exercise.toml's forbid).
"""

import pytest

from grader import checks

CONFIGURATIONS = ["default", "classes"]


@pytest.mark.points(1)
def test_output_shape(student, reference):
    """Output shape (32, 1000) for the input (32, 3, 224, 224)"""
    checks.output_shape(student, reference)


@pytest.mark.points(1)
def test_stage_shapes(student, reference):
    """After each of the five stages: (32, 64, 112, 112) … (32, 512, 7, 7)"""
    checks.stage_shapes(student, reference)


@pytest.mark.points(1)
def test_output_shape_other_arguments(student, reference):
    """Output shape (32, 10) with num_classes=10"""
    checks.output_shape(student, reference, "classes")


@pytest.mark.points(1)
def test_layer_types(student):
    """Uses nn.Conv2d, nn.ReLU, nn.MaxPool2d and nn.Linear"""
    checks.required_layers(student)


@pytest.mark.points(1)
@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_parameter_count(student, reference, configuration):
    """Parameter count equals an accepted variant's"""
    checks.parameter_count(student, reference, configuration)


@pytest.mark.points(1)
@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_behaviour(student, reference, configuration):
    """Computes what the reference computes, given its weights and BatchNorm statistics"""
    checks.matches_reference(student, reference, configuration)


@pytest.mark.points(1)
@pytest.mark.hidden
def test_behaviour_unseen_input(student, reference):
    """Computes what the reference computes on an input and weights no student has seen"""
    checks.matches_reference(student, reference, fresh=True)


@pytest.mark.points(1)
def test_device(student, reference):
    """Runs on the accelerator (CUDA, else the meta device)"""
    checks.runs_on_device(student, reference)
