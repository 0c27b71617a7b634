"""`gantool train --eval-every N` logs evaluations in metrics.jsonl and lets --patience follow the distance."""

import json

SMALL = ["--set", "gen.depth=8", "--set", "disc.depth=8", "--batch-size", "16", "--log-every", "1", "--quiet",
         "--eval-num", "60"]


def evaluations(run):
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [line for line in lines if "eval" in line]


def test_evaluations_are_logged_every_n_steps_and_at_the_end(cli, tmp_path):
    run = tmp_path / "run"
    result = cli("train", "--out", str(run), "--max-steps", "5", "--eval-every", "2", *SMALL)
    assert result.code == 0, result.err
    logged = evaluations(run)
    assert [line["step"] for line in logged] == [2, 4, 5]
    for line in logged:
        assert line["eval"]["frechet_distance"] > 0 and 1 <= line["eval"]["classifier_score"] <= 10
        assert line["eval"]["kid"] > 0 and 0 <= line["eval"]["precision"] <= 1 and 0 <= line["eval"]["recall"] <= 1
        assert line["eval_protocol"]["samples"] == 60 and "held-out" in line["eval_protocol"]["reference"]
    assert logged[0]["eval"] != logged[1]["eval"], "the generator changed between evaluations"


def test_patience_follows_the_distance_and_keeps_the_best(cli, tmp_path):
    run = tmp_path / "run"
    assert cli("train", "--out", str(run), "--max-steps", "8", "--eval-every", "1", "--patience", "1", *SMALL).code == 0
    distances = [line["eval"]["frechet_distance"] for line in evaluations(run)]
    assert (run / "generator-best.safetensors").is_file() and (run / "checkpoints" / "best.safetensors").is_file()
    stale = [i for i in range(1, len(distances)) if distances[i] >= min(distances[:i])]
    if stale:  # patience 1: the first evaluation that did not improve ends the run
        assert len(distances) == stale[0] + 1
    else:
        assert len(distances) == 8
