"""Studies: the TOML file (:mod:`nqpf.study.spec`) and the runner (:mod:`nqpf.study.runner`)."""

from __future__ import annotations

from nqpf.study.runner import StudyRun, run_study
from nqpf.study.spec import StudySpec, bundled_studies, load_study
from nqpf.study.writer import dump_study, write_study

__all__ = ["StudyRun", "StudySpec", "bundled_studies", "dump_study", "load_study", "run_study", "write_study"]
