"""Kill -9 the training CLI twice (once mid checkpoint write), damage the newest checkpoint, restart, and
compare with an uninterrupted run: `benchmarks/fault_test.py --fast` (see its docstring for what "match"
means). Two CPU-bound subprocesses: about a minute on 2 idle cores."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

import fault_test  # noqa: E402


def test_killed_and_corrupted_run_matches_uninterrupted_run(tmp_path):
    lines = []
    result = fault_test.run_fault_test(str(tmp_path), kills=2, pretrain_steps=4, steps=6, fast=True,
                                       timeout=300.0, log=lines.append)
    fault_test.print_summary(result, log=lines.append)
    print("\n".join(lines))
    assert result["kills"] == 2, "\n".join(lines)
    write = result["events"][0]
    assert write["kind"] == "checkpoint_write" and write.get("writing_step"), "\n".join(lines)
    assert any(c["restored"] for c in result["corruptions"]), "\n".join(lines)
    assert result["ok"], "\n".join(lines)
