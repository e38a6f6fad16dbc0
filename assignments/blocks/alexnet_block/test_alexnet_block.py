"""Checks of the AlexNet-style block. Points: 10 (see README.md beside this file)."""

import pytest

from grader import checks


@pytest.mark.points(2)
def test_output_shape(student, reference):
    """Output shape (32, 48, 222, 222) for the seed's input (32, 3, 224, 224)"""
    checks.output_shape(student, reference)


@pytest.mark.points(2)
def test_layer_types(student):
    """Uses nn.Conv2d, nn.ReLU and nn.Dropout"""
    checks.required_layers(student)


@pytest.mark.points(2)
def test_parameter_count(student, reference):
    """Parameter count 1,344"""
    checks.parameter_count(student, reference)


@pytest.mark.points(2)
def test_behaviour(student, reference):
    """Computes what the reference computes, given its weights"""
    checks.matches_reference(student, reference)


@pytest.mark.points(1)
@pytest.mark.hidden
def test_behaviour_unseen_input(student, reference):
    """Computes what the reference computes on an input and weights no student has seen"""
    checks.matches_reference(student, reference, fresh=True)


@pytest.mark.points(1)
def test_device(student, reference):
    """Runs on the accelerator (CUDA, else the meta device)"""
    checks.runs_on_device(student, reference)
