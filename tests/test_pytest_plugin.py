"""The pytest plugin (lstm_shapes/pytest_plugin.py), run for real with ``pytester``."""

from __future__ import annotations

import pytest

SPEC = """
[[case]]
name = "encoder"
lstm = { input_size = 8, hidden_size = 16, num_layers = 2, bidirectional = true }
input = { batch = 3, seq_len = 5 }
expect = { output = [5, 3, 32], hn = [4, 3, 16] }

[[case]]
name = "wrong h0"
lstm = { input_size = 8, hidden_size = 16, num_layers = 2, bidirectional = true }
input = { shape = [5, 3, 8], h0 = [2, 3, 16], c0 = [4, 3, 16] }
"""


def test_the_plugin_is_registered_by_its_entry_point(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--trace-config", "--co", "-q")
    result.stdout.fnmatch_lines(["*lstm_shapes*pytest_plugin*"])


def test_loading_the_plugin_does_not_import_torch(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_clean="""
        import sys

        def test_torch_is_not_imported():
            assert "lstm_shapes.pytest_plugin" in sys.modules
            assert "torch" not in sys.modules
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_an_assert_lstm_shapes_failure_shows_the_diagnosis(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_model="""
        from torch import nn
        from lstm_shapes import assert_lstm_shapes

        def test_h0():
            lstm = nn.LSTM(32, 64, num_layers=2, batch_first=True, bidirectional=True)
            assert_lstm_shapes(lstm, input=(8, 50, 32), h0=(2, 8, 64))
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_model.py:6: assert_lstm_shapes failed",
            "torch rejected these shapes:",
            "*Expected hidden?0? size (4, 8, 64), got ?2, 8, 64?",
            "*D*num_layers = 2*2 = 4*",
        ]
    )
    assert "lstm_shapes/api.py" not in result.stdout.str()


def test_spec_files_matching_the_pattern_become_test_items(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nlstm_shapes_spec_files = *.shapes.toml\n")
    pytester.makefile(".shapes.toml", model=SPEC)
    pytester.makefile(".toml", other='[tool.x]\nname = "not a spec file"\n')
    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*encoder PASSED*",
            "*wrong h0 FAILED*",
            "model.shapes.toml: case 'wrong h0'",
            "torch rejected these shapes:",
        ]
    )


def test_nothing_is_collected_without_the_option(pytester: pytest.Pytester) -> None:
    pytester.makefile(".shapes.toml", model=SPEC)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


@pytest.mark.parametrize("pattern", ["*.toml", "*.json"])
def test_a_bare_toml_pattern_is_refused(pytester: pytest.Pytester, pattern: str) -> None:
    pytester.makeini(f"[pytest]\nlstm_shapes_spec_files = {pattern}\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    suffix = pattern[1:]
    result.stderr.fnmatch_lines(
        [
            f"ERROR: lstm_shapes_spec_files must name spec files, not every {suffix} file "
            f"(got '{pattern}'; e.g. *.shapes{suffix})"
        ]
    )


def test_a_malformed_spec_file_is_a_collection_error_with_our_message(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\nlstm_shapes_spec_files = *.shapes.toml\n")
    pytester.makefile(".shapes.toml", bad='[[case]]\nname = "x"\nlstm = { input_size = 8 }\n')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["lstm-shapes: error: bad.shapes.toml: case 1 (x): key lstm.hidden_size is missing"]
    )
