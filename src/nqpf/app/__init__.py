"""The workbench (工作台): ``nqpf app`` — a local, offline web application over the same library.

See ``docs/design-workbench.md``. The app builds a study, writes it as ``study.toml`` and runs that file with
the library; it holds no analysis logic of its own.
"""
