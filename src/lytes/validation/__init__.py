"""Validation against published human data: one case per observation (V01-V24).

Each case is data (``cases/Vxx.yaml``): the scenario that recreates the study, the observed values with their
spread and source, and checks - a metric of the simulation, the band it must fall in, and the observed value it is
graded against (<= 10 % green, <= 30 % yellow, > 30 % red). Cases whose data some parameter was fitted to say so
(``fitted: true``); the others are held out.
"""

from .run import Case, CaseResult, Check, cases, run_case

__all__ = ["Case", "CaseResult", "Check", "cases", "run_case"]
