"""Checks of the residual exercise. Points: 10 (see README.md beside this file).

Shape, parameter count and behaviour are also checked at a second configuration
(exercise.toml), so a builder that ignores its arguments is caught.
"""

import pytest

from grader import checks

CONFIGURATIONS = ["default", "small"]


@pytest.mark.points(2)
def test_output_shape(student, reference):
    """Output shape (32, 256, 224, 224) for the seed's input (32, 256, 224, 224)"""
    checks.output_shape(student, reference)


@pytest.mark.points(1)
def test_output_shape_other_arguments(student, reference):
    """Output shape with other builder arguments"""
    checks.output_shape(student, reference, "small")


@pytest.mark.points(1)
def test_layer_types(student):
    """Uses nn.Conv2d"""
    checks.required_layers(student)


@pytest.mark.points(1)
@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_parameter_count(student, reference, configuration):
    """Parameter count equals an accepted variant's"""
    checks.parameter_count(student, reference, configuration)


@pytest.mark.points(1)
@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_behaviour(student, reference, configuration):
    """Computes what the reference computes, given its weights"""
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
