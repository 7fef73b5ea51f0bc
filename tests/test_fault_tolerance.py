"""The training CLI stopped four ways and restarted (`benchmarks/fault_test.py --fast`, see its docstring for
what "match" means): kill -9 mid checkpoint write, kill -9 between an evaluation and its checkpoint, SIGTERM
(saves, one line, exit 143), kill -9 mid training; the state file torn and the newest checkpoint damaged
before two of the restarts. Compared with an uninterrupted run: bitwise the same weights, optimizer state,
metrics and evaluation history. Two CPU-bound subprocesses: a few minutes on 2 cores (marked large)."""

import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "benchmarks"))

import fault_test  # noqa: E402


@pytest.mark.large
def test_stopped_and_damaged_run_matches_uninterrupted_run(tmp_path):
    lines = []
    result = fault_test.run_fault_test(str(tmp_path), kills=4, pretrain_steps=4, steps=6, fast=True,
                                       timeout=300.0, log=lines.append)
    fault_test.print_summary(result, log=lines.append)
    report = "\n".join(lines)
    print(report)
    kinds = [event["kind"] for event in result["events"][:-1]]
    assert kinds == ["checkpoint_write", "after_evaluation", "sigterm", "training"], report
    assert result["kills"] == 4, report
    assert result["events"][0].get("writing_step"), report
    sigterm = result["events"][2]
    assert sigterm["exit_code"] == 143 and sigterm["saved_on_sigterm"] == result["events"][3]["resumed_from"], report
    assert any(c["restored"] for c in result["corruptions"]), report
    assert result["torn_state_files"] and all(t["ok"] for t in result["torn_state_files"]), report
    after_evaluation = result["events"][1]
    if not after_evaluation["checkpoint_saved_before_kill"]:  # the step was evaluated twice: one entry kept
        assert result["history"]["file_lines"] > len(result["history"]["steps"][1]), report
    assert result["history"]["steps"][1] == [2, 4, 6, 8, 10], report
    assert result["ok"], report


@pytest.mark.large
def test_a_perceptual_loss_run_stopped_and_damaged_matches_the_uninterrupted_run(tmp_path):
    """The same with the perceptual reconstruction loss (random VGG-19 weights): its running means and their
    update count come back from the checkpoint, so a run resumed in the GAN phase stays bitwise equal (when
    only the means were saved, the first resumed step replaced them with one batch's means)."""
    lines = []
    result = fault_test.run_fault_test(str(tmp_path), pretrain_steps=4, steps=6, fast=True, timeout=300.0,
                                       perceptual=True, kinds=["sigterm", "training"], log=lines.append)
    fault_test.print_summary(result, log=lines.append)
    report = "\n".join(lines)
    print(report)
    assert any(event["resumed_from"] > 4 for event in result["events"]), report  # inside the GAN phase
    assert any(c["restored"] for c in result["corruptions"]), report
    assert result["ok"], report
