"""--tensorboard shows what GAN users look for there: the fixed-noise grids as images and the run's settings."""

from __future__ import annotations

import pytest

from tests.conftest import TINY

pytest.importorskip("tensorboard")


def test_tensorboard_holds_the_sample_grids_and_the_runs_settings(cli, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData

    run = tmp_path / "run"
    result = cli("train", *TINY, "--tensorboard", "--sample-every", "2", "--lr-g", "0.002", "--out", str(run))
    assert result.code == 0, result.err
    events = EventAccumulator(str(run / "tensorboard"))
    events.Reload()

    grids = events.Images("samples/fixed_noise")
    assert [grid.step for grid in grids] == [2, 3]  # every --sample-every steps, and the last
    assert (grids[-1].width, grids[-1].height) == (8 * 30 + 2, 8 * 30 + 2)  # the grid samples/ holds

    content = events.PluginTagToContent("hparams")
    start = next(HParamsPluginData.FromString(data).session_start_info for data in content.values()
                 if HParamsPluginData.FromString(data).HasField("session_start_info"))
    assert start.hparams["lr_g"].number_value == pytest.approx(0.002)
    assert start.hparams["gen"].string_value == "dcgan"
    assert start.hparams["gen.depth"].number_value == 8
    assert start.hparams["betas_g"].string_value == "[0.5, 0.999]"
