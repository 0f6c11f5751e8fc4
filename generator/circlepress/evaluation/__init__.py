"""Evaluation (step 12, issue 18): a circle's rounds and their form links, the questionnaire and the report."""
