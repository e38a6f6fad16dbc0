"""Notebooks: a student's .ipynb (or one .py file) graded as the modules its builders need."""
