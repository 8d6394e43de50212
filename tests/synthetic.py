"""A synthetic framework shared by the tests of the engine and of the uncertainty analyses: two dimensions,
AHP matrices at every node, a negative and an interval indicator."""

SYNTH = """\
name: synth
title: {zh: 合成, en: Synthetic}
target:
  id: t
  name_zh: 目标
  name_en: Target
  ahp: [[1, 3], ["1/3", 1]]
  children:
    - id: d1
      name_zh: 维一
      name_en: D1
      ahp: [[1, 2, 4], ["1/2", 1, 2], ["1/4", "1/2", 1]]
      indicators:
        - {id: a, name_zh: 甲, name_en: A, unit: u}
        - {id: b, name_zh: 乙, name_en: B, unit: u, direction: negative}
        - {id: c, name_zh: 丙, name_en: C, unit: u, direction: interval, best: [0.4, 0.6]}
    - id: d2
      name_zh: 维二
      name_en: D2
      ahp: [[1, "1/2"], [2, 1]]
      indicators:
        - {id: d, name_zh: 丁, name_en: D, unit: u}
        - {id: e, name_zh: 戊, name_en: E, unit: u}
"""
