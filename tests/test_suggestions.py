"""A mistyped name gets the closest known one in its error line ("did you mean"), wherever a name is typed."""

from __future__ import annotations

import textwrap

from tests.conftest import TINY, run_subprocess


def test_describe_ignores_case_and_suggests_the_closest_name(cli):
    result = cli("describe", "DCGAN")
    assert result.code == 0, result.err
    assert "gen.depth" in result.out
    wrong = cli("describe", "dcgn")
    assert wrong.code == 2 and "did you mean 'dcgan'?" in wrong.err


def test_unknown_set_key_suggests_the_closest_option(cli, tmp_path):
    result = cli("train", *TINY, "--set", "gen.dept=8", "--out", str(tmp_path / "run"))
    assert result.code == 2
    assert "gen has no option 'dept' (did you mean 'depth'?)" in result.err


def test_unknown_config_file_key_suggests_the_closest_setting(cli, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("batch_szie = 8\n")
    result = cli("train", "--config", str(config), "--out", str(tmp_path / "run"))
    assert result.code == 2
    assert "unknown setting 'batch_szie' (did you mean 'batch_size'?)" in result.err
    assert not (tmp_path / "run").exists()


def test_load_plugins_name_that_matches_no_distribution_is_a_warning_with_the_closest(tmp_path):
    (tmp_path / "acme_gan.py").write_text(textwrap.dedent("""
        from gantool import hookimpl

        @hookimpl
        def register_losses(register):
            register("acme", lambda: None)
    """))
    dist = tmp_path / "acme_gan-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-gan\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[gantool]\nacme = acme_gan\n")
    result = run_subprocess("list-plugins", "--json",
                            env={"PYTHONPATH": str(tmp_path), "GANTOOL_LOAD_PLUGINS": "acme-gna"})
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, result.stderr
    assert "'acme-gna'" in warnings[0] and "did you mean 'acme-gan'?" in warnings[0]
    matched = run_subprocess("list-plugins", env={"PYTHONPATH": str(tmp_path), "GANTOOL_LOAD_PLUGINS": "acme_gan"})
    assert "warning" not in matched.stderr
