"""Bad input to the engine configuration (issue #8): policy, sizing and risk-loop settings from
keyword arguments, mappings, YAML text and YAML files, and the bundled example policy file.

Every error is a ConfigError (or a DataError for an unreadable file) whose message is written
out by hand here: one line per problem, ``file:line: section.setting: what to write``.
"""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from portlab import Coordinator
from portlab.datasets import example_paths
from portlab.engine.config import (
    AllocationMode,
    ExecutionRulesConfig,
    KellyFormula,
    MinSizeRule,
    Policy,
    RiskLoopConfig,
    Rule,
    SizingConfig,
    SizingMethod,
    load_config,
    load_settings,
)
from portlab.exceptions import ConfigError, DataError, InputRepairWarning

MODELS = {
    "policy": Policy,
    "sizing": SizingConfig,
    "risk_loop": RiskLoopConfig,
    "execution": ExecutionRulesConfig,
}
SECTION = {cls: name for name, cls in MODELS.items()}
RULES = [
    "max_position_size",
    "max_sector_exposure",
    "max_correlation_exposure",
    "max_portfolio_volatility",
    "max_leverage",
    "var_limit",
    "max_position_risk",
]
#: every numeric setting with a valid value (so that a bad value is the only problem)
NUMERIC = [
    ("policy", "max_position_size"),
    ("policy", "max_sector_exposure"),
    ("policy", "max_correlation_exposure"),
    ("policy", "max_portfolio_volatility"),
    ("policy", "max_leverage"),
    ("policy", "correlation_threshold"),
    ("policy", "cash_floor"),
    ("sizing", "kelly_multiplier"),
    ("sizing", "max_kelly_fraction"),
    ("sizing", "min_position_size"),
    ("sizing", "correlation_penalty"),
    ("sizing", "rebalance_blend"),
    ("sizing", "default_horizon_days"),
    ("sizing", "volatility_target"),
    ("sizing", "rebalance_edge"),
    ("sizing", "var_confidence"),
    ("risk_loop", "max_iterations"),
    ("risk_loop", "min_resize"),
    ("risk_loop", "max_position_risk"),
]
BOILERPLATE = (
    "Value error",
    "Input should",
    "errors.pydantic.dev",
    "validation error",
    "For further",
)


def write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def clean(message: str) -> None:
    """No pydantic boilerplate, no numpy reprs, no stutter."""
    for junk in BOILERPLATE:
        assert junk not in message, message
    assert "np.float" not in message and "Policy: Policy" not in message, message


# -- 1. percent-style values and the unit of every field ---------------------------------------


PERCENT_CASES = [
    # (section, field, value, message after "section.field: ") -- written out by hand
    ("policy", "max_position_size", 5,
     "5 looks like a percentage; limits are fractions of NAV: write 0.05 for 5%"),
    ("policy", "max_sector_exposure", 25,
     "25 looks like a percentage; limits are fractions of NAV: write 0.25 for 25%"),
    ("policy", "max_correlation_exposure", 60,
     "60 looks like a percentage; limits are fractions of NAV: write 0.6 for 60%"),
    ("policy", "max_portfolio_volatility", 20,
     "20 looks like a percentage; volatilities are annualised fractions: write 0.2 for 20%"),
    ("policy", "correlation_threshold", 70,
     "70 looks like a percentage; correlations are at most 1: write 0.7 for 70%"),
    ("policy", "cash_floor", 5,
     "5 looks like a percentage; the cash floor is a fraction of NAV (negative allows "
     "borrowing): write 0.05 for 5%"),
    ("sizing", "max_kelly_fraction", 25,
     "25 looks like a percentage; the Kelly cap is a fraction of NAV: write 0.25 for 25%"),
    ("sizing", "min_position_size", 1.5,
     "1.5 looks like a percentage; sizes are fractions of NAV: write 0.015 for 1.5%"),
    ("sizing", "volatility_target", 20,
     "20 looks like a percentage; volatilities are annualised fractions: write 0.2 for 20%"),
    ("sizing", "rebalance_edge", 2,
     "2 looks like a percentage; the edge is an expected return, a fraction: write 0.02 for 2%"),
    ("sizing", "var_confidence", 95,
     "95 looks like a percentage; confidence is a probability: write 0.95 for 95%"),
    ("sizing", "correlation_penalty", 50,
     "50 looks like a percentage; it is a weight between 0 and 1: write 0.5 for 50%"),
    ("sizing", "rebalance_blend", 30,
     "30 looks like a percentage; it is a weight between 0 and 1: write 0.3 for 30%"),
    ("risk_loop", "min_resize", 50,
     "50 looks like a percentage; it is a fraction of the trade's size: write 0.5 for 50%"),
    ("risk_loop", "max_position_risk", 5,
     "5 looks like a percentage; position risk (|weight| x annualised volatility) is a "
     "fraction of NAV: write 0.05 for 5%"),
    # multiples: a bound, and the percentage reading offered
    ("policy", "max_leverage", 200,
     "200 is too large: it must be at most 10; leverage is gross exposure over NAV, a "
     "multiple (2 = 2x); for 200% write 2"),
    ("sizing", "kelly_multiplier", 50,
     "50 is too large: it must be at most 2; it multiplies the Kelly fraction (1 = full "
     "Kelly, 0.5 = half Kelly); beyond 2 the expected log growth is negative; for 50% write 0.5"),
]  # fmt: skip


@pytest.mark.parametrize("section, field, value, message", PERCENT_CASES)
def test_percent_style_values_are_refused_with_the_fraction_to_write(
    tmp_path, section, field, value, message
):
    # keyword arguments: no file part
    with pytest.raises(ConfigError) as exc:
        MODELS[section](**{field: value})
    assert str(exc.value) == f"{section}.{field}: {message}"
    # a file: file and line (line 2: under the section header)
    path = write(tmp_path, f"{section}:\n  {field}: {value}\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(exc.value) == f"{path}:2: {section}.{field}: {message}"
    clean(str(exc.value))


def test_rule_given_as_a_mapping_names_its_limit(tmp_path):
    path = write(tmp_path, "policy:\n  max_position_size: {limit: 5, hard: true}\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(exc.value) == (
        f"{path}:2: policy.max_position_size: limit: 5 looks like a percentage; limits are "
        "fractions of NAV: write 0.05 for 5%"
    )
    with pytest.raises(ConfigError, match=r"^policy\.max_leverage: 50 is too large"):
        Policy(max_leverage=Rule(limit=50))  # a Rule object is checked against its field too


@pytest.mark.parametrize(
    "field, value",
    [("max_leverage", 2.0), ("max_leverage", 10), ("max_leverage", 0.2), ("max_leverage", 1.5)],
)
def test_leverage_is_a_multiple_up_to_ten(field, value):
    assert Policy(**{field: value}).max_leverage.limit == value
    with pytest.raises(
        ConfigError, match=r"^policy\.max_leverage: 10\.5 is too large: it must be at most 10; "
    ):
        Policy(max_leverage=10.5)
    with pytest.raises(
        ConfigError, match=r"^policy\.max_leverage: 0 is too small: it must be above 0; "
    ):
        Policy(max_leverage=0)


def test_limits_at_the_edges_of_their_ranges():
    p = Policy(max_position_size=1, max_sector_exposure=1.0, max_correlation_exposure=1,
               max_portfolio_volatility=1, correlation_threshold=1, cash_floor=-10)  # fmt: skip
    assert (p.max_position_size.limit, p.cash_floor, p.correlation_threshold) == (1.0, -10.0, 1.0)
    s = SizingConfig(kelly_multiplier=2, max_kelly_fraction=1, min_position_size=0,
                     default_horizon_days=2520, correlation_penalty=0, rebalance_blend=1)  # fmt: skip
    assert (s.kelly_multiplier, s.min_position_size, s.default_horizon_days) == (2.0, 0.0, 2520.0)
    assert RiskLoopConfig(max_iterations=20, min_resize=1).max_iterations == 20
    bad = [
        (Policy, "cash_floor", -11,
         "-11 is too small: it must be at least -10; the cash floor is a fraction of NAV "
         "(negative allows borrowing)"),
        (SizingConfig, "min_position_size", 1,
         "1 is too large: it must be below 1; sizes are fractions of NAV"),
        (SizingConfig, "var_confidence", 0.5,
         "0.5 is too small: it must be above 0.5; confidence is a probability"),
        (SizingConfig, "var_confidence", 1,
         "1 is too large: it must be below 1; confidence is a probability"),
        (SizingConfig, "default_horizon_days", 5000,
         "5000 is too large: it must be at most 2520; the horizon is in trading days (21 is "
         "about a month, 252 a year)"),
        (SizingConfig, "kelly_multiplier", 3,
         "3 is too large: it must be at most 2; it multiplies the Kelly fraction (1 = full "
         "Kelly, 0.5 = half Kelly); beyond 2 the expected log growth is negative; for 3% write "
         "0.03"),
        (RiskLoopConfig, "max_iterations", 0,
         "0 is too small: it must be at least 1; it counts resize passes"),
        (RiskLoopConfig, "max_iterations", 21,
         "21 is too large: it must be at most 20; it counts resize passes"),
        (Policy, "max_position_size", -0.05,
         "-0.05 is too small: it must be above 0; limits are fractions of NAV"),
    ]  # fmt: skip
    for cls, field, value, message in bad:
        with pytest.raises(ConfigError) as exc:
            cls(**{field: value})
        assert str(exc.value) == f"{SECTION[cls]}.{field}: {message}"


@settings(max_examples=200, deadline=None)
@given(x=st.floats(1, 100, exclude_min=True))
def test_any_fraction_above_one_names_its_percentage(x):
    """Invariant: x in (1, 100] where a fraction of NAV belongs is refused, suggesting x/100."""
    with pytest.raises(ConfigError) as exc:
        Policy(max_sector_exposure=x)
    assert str(exc.value) == (
        f"policy.max_sector_exposure: {x:g} looks like a percentage; limits are fractions of "
        f"NAV: write {x / 100:g} for {x:g}%"
    )


@settings(max_examples=200, deadline=None)
@given(x=st.floats(0, 1, exclude_min=True))
def test_any_fraction_in_range_is_kept_exactly(x):
    sector = max(x, 0.25)
    p = Policy(max_position_size=x, max_sector_exposure=sector)
    assert p.max_position_size == Rule(limit=x, hard=True)
    assert p.max_sector_exposure.limit == sector


# -- 2. duplicate keys -------------------------------------------------------------------------


def test_duplicate_key_names_the_key_and_both_lines(tmp_path):
    text = "policy:\n  max_position_size: 0.04\n  allow_short: false\n  max_position_size: 0.1\n"
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(exc.value) == (
        f"{path}:4: policy.max_position_size: duplicate key (first given on line 2); "
        "keep one of them"
    )
    with pytest.raises(ConfigError) as exc:  # a whole section twice, same rule
        load_config("policy:\n  allow_short: true\nsizing: {}\npolicy:\n  allow_short: false\n")
    assert (
        str(exc.value) == "line 4: policy: duplicate key (first given on line 1); keep one of them"
    )
    with pytest.raises(
        ConfigError, match=r"^line 1: max_leverage\.limit: duplicate key \(first given on line 1\)"
    ):
        Policy.from_yaml("max_leverage: {limit: 2, limit: 3}")


def test_merge_keys_may_override_without_being_duplicates():
    text = (
        "policy:\n"
        "  max_position_size: &rule {limit: 0.05, hard: true}\n"
        "  max_sector_exposure: {<<: *rule, limit: 0.3}\n"
    )
    policy, _, _ = load_config(text)
    assert policy.max_sector_exposure == Rule(limit=0.3, hard=True)


# -- 3. non-finite numbers, null, booleans and text where a number is required -------------------


@pytest.mark.parametrize("section, field", NUMERIC)
@pytest.mark.parametrize("text, shown", [(".inf", "inf"), ("-.inf", "-inf"), (".nan", "nan")])
def test_non_finite_numbers_are_refused_in_every_numeric_field(
    tmp_path, section, field, text, shown
):
    path = write(tmp_path, f"{section}:\n  {field}: {text}\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    message = str(exc.value)
    assert message.startswith(
        f"{path}:2: {section}.{field}: {shown} is not a finite number; write "
    )
    assert "\n" not in message
    clean(message)
    value = float(shown)
    with pytest.raises(ConfigError, match=rf"^{section}\.{field}: {shown} is not a finite number"):
        MODELS[section](**{field: np.float64(value)})


@pytest.mark.parametrize("section, field", NUMERIC)
def test_null_bool_and_text_are_not_numbers(section, field):
    cls = MODELS[section]
    for value, start in [(None, "no value (null); write "), (True, "true is not a number; "),
                         (False, "false is not a number; "), ("five", "'five' is not a number; "),
                         ([0.05], "expected "), ({"a": 1} if field not in RULES else [1], "expected ")]:  # fmt: skip
        with pytest.raises(ConfigError) as exc:
            cls(**{field: value})
        message = str(exc.value)
        assert message.startswith(f"{section}.{field}: {start}"), message
        clean(message)


def test_an_integer_beyond_float_range_is_not_finite():
    with pytest.raises(ConfigError) as exc:
        Policy.from_yaml("max_leverage: " + "9" * 400)
    assert str(exc.value) == (
        "line 1: policy.max_leverage: inf is not a finite number; write a multiple such as 2, "
        "or {limit: 2, hard: true}"
    )


def test_the_default_horizon_of_the_issue(tmp_path):
    path = write(tmp_path, "sizing:\n  default_horizon_days: .inf\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(exc.value) == (
        f"{path}:2: sizing.default_horizon_days: inf is not a finite number; write a number of "
        "days such as 21"
    )


def test_numbers_written_as_text_are_read_when_they_are_numbers():
    # YAML 1.1 leaves 5e-2 a string; it is a number all the same
    assert Policy.from_yaml("max_position_size: 5e-2").max_position_size.limit == 0.05
    assert SizingConfig(kelly_multiplier="0.5").kelly_multiplier == 0.5
    assert RiskLoopConfig(max_iterations=3.0).max_iterations == 3
    assert isinstance(RiskLoopConfig(max_iterations=np.int64(4)).max_iterations, int)
    with pytest.raises(ConfigError) as exc:
        RiskLoopConfig(max_iterations=2.5)
    assert str(exc.value) == (
        "risk_loop.max_iterations: 2.5 is not a whole number; write a whole number such as 3"
    )


def test_booleans_must_be_true_or_false():
    assert Policy(allow_short="true").allow_short is True  # the word, in any case
    assert SizingConfig(fractional_shares=np.bool_(True)).fractional_shares is True
    for field, model in [("allow_short", Policy), ("fractional_shares", SizingConfig)]:
        for value, shown in [(1, "1"), (0, "0"), (None, "null"), ("yes please", "'yes please'")]:
            with pytest.raises(ConfigError) as exc:
                model(**{field: value})
            assert str(exc.value) == (
                f"{SECTION[model]}.{field}: {shown} is not true or false; write true or false"
            )
    with pytest.raises(ConfigError) as exc:
        Policy(max_position_size={"limit": 0.05, "hard": 1})
    assert str(exc.value) == (
        "policy.max_position_size: hard: 1 is not true or false; write true or false"
    )


def test_enum_settings_name_the_choices():
    assert SizingConfig(allocation="greedy").allocation is AllocationMode.GREEDY
    assert (
        SizingConfig(kelly_formula=" growth_optimal ").kelly_formula is KellyFormula.GROWTH_OPTIMAL
    )
    assert SizingConfig(min_size_rule="DROP").min_size_rule is MinSizeRule.DROP
    with pytest.raises(ConfigError) as exc:
        SizingConfig(allocation="GRDY")
    assert str(exc.value) == (
        "sizing.allocation: 'GRDY' is not one of OPTIMAL, GREEDY (did you mean GREEDY?)"
    )
    with pytest.raises(ConfigError) as exc:
        SizingConfig(min_size_rule=1)
    assert str(exc.value) == "sizing.min_size_rule: expected one of ROUND_UP, DROP, got 1"


# -- 4. what a source is: a file, a missing file, or YAML text -----------------------------------


def test_a_file_is_read_whatever_its_suffix(tmp_path, monkeypatch):
    path = write(tmp_path, "max_position_size: 0.04\n", name="policy.txt")
    assert load_config(path)[0].max_position_size.limit == 0.04  # Path
    assert load_config(str(path))[0].max_position_size.limit == 0.04  # str naming a file
    monkeypatch.chdir(tmp_path)
    plain = write(tmp_path, "sizing: {kelly_multiplier: 0.5}\n", name="mypolicy")
    assert Coordinator.from_yaml("mypolicy").sizing.kelly_multiplier == 0.5
    assert Coordinator(policy=Path("policy.txt")).policy.max_position_size.limit == 0.04
    assert Policy.from_yaml(plain) == Policy()  # no policy section: the defaults
    assert SizingConfig.from_yaml(plain).kelly_multiplier == 0.5


def test_errors_in_a_file_without_yaml_suffix_name_the_file(tmp_path):
    path = write(tmp_path, "max_position_size: 5\n", name="policy.txt")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(exc.value) == (
        f"{path}:1: policy.max_position_size: 5 looks like a percentage; limits are fractions "
        "of NAV: write 0.05 for 5%"
    )


@pytest.mark.parametrize(
    "name", ["policy.yaml", "policy.YML", "settings.json", "conf/policy", "./p"]
)
def test_a_missing_file_is_no_such_file(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    for call in (load_config, Coordinator.from_yaml, Policy.from_yaml):
        with pytest.raises(ConfigError) as exc:
            call(name)
        assert str(exc.value) == f"{name}: no such file"
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path / name)
    assert str(exc.value) == f"{tmp_path / name}: no such file"


def test_a_word_that_is_neither_a_file_nor_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as exc:
        load_config("mypolicy")
    assert str(exc.value) == (
        "mypolicy: no such file, and not YAML settings (such as 'max_position_size: 0.05')"
    )


def test_yaml_text_is_still_yaml_text():
    policy, sizing, loop = load_config(
        "policy: {max_position_size: 0.04}\nrisk_loop: {max_iterations: 5}"
    )
    assert (policy.max_position_size.limit, sizing, loop.max_iterations) == (
        0.04,
        SizingConfig(),
        5,
    )
    assert Policy.from_yaml('{"max_leverage": 1.5}').max_leverage.limit == 1.5  # JSON text
    assert Policy.from_yaml("") == Policy()


def test_unreadable_files_are_data_errors_naming_the_file(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("policy:\n  # caf\u00e9\n  max_leverage: 1.5\n".encode("latin-1"))
    with pytest.raises(DataError) as exc:
        load_config(path)
    assert str(exc.value) == (
        f"{path}: line 2, byte 0xe9 at column 8 is not UTF-8; save the file as UTF-8"
    )
    with pytest.raises(DataError, match=re.escape(f"{tmp_path}: is a folder")):
        load_config(tmp_path)
    with pytest.raises(DataError, match=re.escape(f"{tmp_path}: is a folder")):
        load_config(str(tmp_path))
    bom = tmp_path / "bom.yaml"
    bom.write_bytes(b"\xef\xbb\xbfmax_leverage: 1.5\r\n")
    assert load_config(bom)[0].max_leverage.limit == 1.5


@pytest.mark.parametrize(
    "source, message",
    [
        (123, "expected a YAML file path or YAML text, got 123"),
        (None, "expected a YAML file path or YAML text, got None"),
        (b"max_leverage: 2", "expected a YAML file path or YAML text, got a bytes"),
    ],
)
def test_a_source_of_another_type(source, message):
    with pytest.raises(ConfigError) as exc:
        load_config(source)
    assert str(exc.value) == message


def test_empty_file_gives_the_defaults_with_a_warning(tmp_path):
    path = write(tmp_path, "# nothing here yet\n")
    with pytest.warns(InputRepairWarning, match=re.escape(f"{path}: no settings in the file")):
        assert load_config(path) == (Policy(), SizingConfig(), RiskLoopConfig())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_config(write(tmp_path, "policy:\nsizing:\n", "e.yaml"))[0] == Policy()


def test_yaml_syntax_errors_are_one_line_with_line_and_column(tmp_path):
    path = write(tmp_path, "policy:\n  max_leverage: [2\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    message = str(exc.value)
    assert message.startswith(f"{path}:3:1: not valid YAML: ") and "\n" not in message
    path = write(tmp_path, "policy:\n\tmax_leverage: 2\n", "tab.yaml")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(exc.value) == (
        f"{path}:2:1: not valid YAML: found character '\\t' that cannot start any token "
        "(while scanning for the next token); indent with spaces, not tabs"
    )
    with pytest.raises(ConfigError, match=r"^line 2, column 1: not valid YAML: .*single document"):
        load_config("a: 1\n---\nb: 2\n")
    with pytest.raises(
        ConfigError,
        match=r"^line 1: expected a mapping with policy, sizing and risk_loop sections, got a list$",
    ):
        load_config("- 0.05\n")


def test_hostile_yaml_ends_in_a_config_error():
    with pytest.raises(ConfigError, match="nested too deeply|not valid YAML"):
        load_config("[" * 20000 + "]" * 20000)
    # "billion laughs": aliases are shared, never expanded
    lol = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    with pytest.raises(ConfigError) as exc:
        load_config(lol)
    assert str(exc.value).splitlines()[
        0
    ] == "line 1: policy.a: unknown setting; the policy settings are " + ", ".join(
        Policy.model_fields
    )


# -- 5./6. readable messages: one line per problem, unknown names, wrong shapes ------------------


def test_every_problem_of_a_file_on_its_own_line(tmp_path):
    text = (
        "policy:\n"
        "  max_position_size: 5\n"
        "  max_leverage: .inf\n"
        "sizing:\n"
        "  kelly_multipler: 0.5\n"
        "risk_loop:\n"
        "  max_iterations: true\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(exc.value).splitlines() == [
        f"{path}:2: policy.max_position_size: 5 looks like a percentage; limits are fractions "
        "of NAV: write 0.05 for 5%",
        f"{path}:3: policy.max_leverage: inf is not a finite number; write a multiple such as "
        "2, or {limit: 2, hard: true}",
        f"{path}:5: sizing.kelly_multipler: unknown setting; did you mean kelly_multiplier?",
        f"{path}:7: risk_loop.max_iterations: true is not a number; write a whole number such as 3",
    ]


@pytest.mark.parametrize(
    "value, message",
    [
        ("5%", "'5%' is not a number; write 0.05 for 5% (a fraction such as 0.05, or "
               "{limit: 0.05, hard: true})"),
        ("true", "true is not a number; write a fraction such as 0.05, or {limit: 0.05, hard: true}"),
        ('"five"', "'five' is not a number; write a fraction such as 0.05, or "
                   "{limit: 0.05, hard: true}"),
        ("null", "no value (null); write a fraction such as 0.05, or {limit: 0.05, hard: true}, "
                 "or leave the line out for the default"),
        ("[0.05]", "expected a fraction such as 0.05, or {limit: 0.05, hard: true}, got a list"),
        ("{limit: 0.05, hardd: true}", "unknown key hardd in the rule; did you mean hard? write "
                                       "{limit: 0.05, hard: true}"),
        ("{hard: true}", "the rule has no limit; write {limit: 0.05, hard: true}"),
    ],
)  # fmt: skip
def test_a_rule_of_the_wrong_shape_says_what_to_write(value, message):
    with pytest.raises(ConfigError) as exc:
        Policy.from_yaml(f"max_position_size: {value}")
    assert str(exc.value) == f"line 1: policy.max_position_size: {message}"


@pytest.mark.parametrize(
    "text, message",
    [
        ("max_postion_size: 0.05",
         "line 1: policy.max_postion_size: unknown setting; did you mean max_position_size?"),
        ("sizing:\n  kelly_fraction: 0.2",
         "line 2: sizing.kelly_fraction: unknown setting; did you mean max_kelly_fraction?"),
        ("risk_loop:\n  max_iteration: 2",
         "line 2: risk_loop.max_iteration: unknown setting; did you mean max_iterations?"),
        ("sizing:\n  max_leverage: 1.5",
         "line 2: sizing.max_leverage: not a sizing setting: max_leverage is a policy setting, "
         "put it under policy:"),
        ("kelly_multiplier: 0.5",
         "line 1: policy.kelly_multiplier: not a policy setting: kelly_multiplier is a sizing "
         "setting, put it under sizing:"),
        ("policy: {}\npolcy: {}",
         "line 2: polcy: unknown section; did you mean policy? the sections are policy, sizing, "
         "risk_loop"),
        ("sizing: {}\nmax_leverage: 2",
         "line 2: max_leverage: a policy setting at the top level: put it under policy:"),
        ("policy:\n  sizing: {}",
         "line 2: policy.sizing: sizing is a section: put it at the top level, not inside policy:"),
        ("policy: 0.05",
         "line 1: policy: expected a mapping of policy settings (name: value lines), got 0.05"),
    ],
)  # fmt: skip
def test_unknown_or_misplaced_settings_suggest_the_right_name(text, message):
    with pytest.raises(ConfigError) as exc:
        load_config(text)
    assert str(exc.value) == message


def test_a_setting_with_no_close_name_lists_the_valid_ones():
    with pytest.raises(ConfigError) as exc:
        RiskLoopConfig(zzz=1)
    assert str(exc.value) == (
        "risk_loop.zzz: unknown setting; the risk_loop settings are max_iterations, min_resize, "
        "max_position_risk"
    )


def test_position_above_sector_is_one_readable_line():
    with pytest.raises(ConfigError) as exc:
        Policy(max_position_size=0.3)
    assert str(exc.value) == (
        "policy.max_position_size: 0.3 is above max_sector_exposure 0.25: one position cannot "
        "exceed its sector's limit; lower max_position_size or raise max_sector_exposure"
    )


def test_python_api_errors_are_config_errors_without_boilerplate():
    for call in (
        lambda: Policy(max_position_size=np.float64(5)),
        lambda: Policy.model_validate({"max_position_size": "5%", "cash_floor": None}),
        lambda: Coordinator(policy={"max_leverage": -1}),
        lambda: Coordinator(sizing={"kelly_multiplier": float("nan")}),
        lambda: Rule(limit=float("inf")),
        lambda: Policy.model_validate(["max_position_size", 0.05]),
    ):
        with pytest.raises(ConfigError) as exc:
            call()
        clean(str(exc.value))
    with pytest.raises(ConfigError) as exc:
        Policy.model_validate({"max_position_size": "5%", "cash_floor": None})
    assert len(str(exc.value).splitlines()) == 2
    with pytest.raises(ConfigError) as exc:
        Policy.model_validate(["max_position_size", 0.05])
    assert str(exc.value) == "policy: expected a mapping of policy settings, got a list"


def test_a_mapping_rule_without_hard_keeps_the_rules_default_hardness():
    p = Policy(max_correlation_exposure={"limit": 0.5}, max_position_size={"limit": 0.04})
    assert p.max_correlation_exposure == Rule(limit=0.5, hard=False)
    assert p.max_position_size == Rule(limit=0.04, hard=True)
    assert Policy(max_correlation_exposure=0.5).max_correlation_exposure.hard is False


def test_to_yaml_round_trips():
    p = Policy(max_leverage={"limit": 1.5, "hard": False}, allow_short=True, cash_floor=-0.2)
    s = SizingConfig(allocation="GREEDY", kelly_multiplier=0.5, default_horizon_days=10)
    loop = RiskLoopConfig(max_iterations=5, min_resize=0.25)
    assert Policy.from_yaml(p.to_yaml()) == p
    assert SizingConfig.from_yaml(s.to_yaml()) == s
    assert RiskLoopConfig.from_yaml(loop.to_yaml()) == loop


def test_models_do_not_mutate_their_input():
    data = {"max_position_size": {"limit": 0.04}, "max_leverage": 1.5}
    before = {"max_position_size": {"limit": 0.04}, "max_leverage": 1.5}
    Policy.model_validate(data)
    assert data == before


# -- 7. the bundled example policy -------------------------------------------------------------


def example() -> Path:
    return example_paths()["policy"]


def test_example_policy_is_exactly_the_defaults():
    found = load_settings(example())
    policy, sizing, loop = found["policy"], found["sizing"], found["risk_loop"]
    assert found["execution"] == ExecutionRulesConfig()
    for model, default in ((policy, Policy()), (sizing, SizingConfig()), (loop, RiskLoopConfig())):
        for name in type(model).model_fields:
            assert getattr(model, name) == getattr(default, name), name
    # the same numbers written out by hand (the default policy, specification §2)
    rules = {k: (r.limit, r.hard) for k, r in policy.rules().items()}
    assert rules == {
        "position": (0.05, True),
        "sector": (0.25, True),
        "correlation": (0.60, False),
        "volatility": (0.20, True),
        "leverage": (2.0, True),
        "var": (0.02, False),
        "position_risk": (0.05, False),
    }
    assert policy.var_limit_confidence == 0.95
    assert (policy.correlation_threshold, policy.allow_short, policy.cash_floor) == (
        0.7,
        False,
        0.0,
    )
    assert sizing.model_dump() == {
        "method": SizingMethod.KELLY,
        "fixed_fraction": 0.02,
        "risk_target": 0.01,
        "kelly_formula": KellyFormula.BINARY_BET,
        "kelly_multiplier": 1.0,
        "max_kelly_fraction": 0.25,
        "min_position_size": 0.01,
        "min_size_rule": MinSizeRule.ROUND_UP,
        "correlation_penalty": 0.5,
        "rebalance_blend": 0.5,
        "default_horizon_days": 21.0,
        "volatility_target": 0.20,
        "rebalance_edge": 0.02,
        "allocation": AllocationMode.OPTIMAL,
        "fractional_shares": False,
        "var_confidence": 0.95,
    }
    assert loop.model_dump() == {"max_iterations": 3, "min_resize": 0.5, "max_position_risk": 0.05}


def test_example_policy_spells_out_every_setting_with_its_unit():
    text = example().read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert list(data) == ["policy", "sizing", "risk_loop", "execution"]
    for section, cls in MODELS.items():
        assert list(data[section]) == list(cls.model_fields), section  # every setting, in order
    for name in RULES:  # every rule says hard or soft explicitly
        assert set(data["policy"][name]) == {"limit", "hard"}, name
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line and not line.startswith((" ", "#"))]
    for section, cls in MODELS.items():
        (top,) = [i for i in starts if lines[i] == f"{section}:"]
        end = min([i for i in starts if i > top], default=len(lines))
        for name in cls.model_fields:  # a name may be in two sections (max_position_risk)
            (i,) = [i for i in range(top, end) if lines[i].strip().startswith(f"{name}:")]
            comment = lines[i - 1].strip()  # each setting has a comment line above it
            assert comment.startswith("#"), name
    for unit in (
        "fraction of NAV",
        "annualised",
        "multiple",
        "trading days",
        "hard: true",
        "hard: false",
    ):
        assert unit in text, unit
    assert text.isascii()  # copies cleanly into any editor or terminal


def test_example_policy_is_what_a_newcomer_copies_and_edits(tmp_path):
    mine = tmp_path / "my_policy.yaml"
    shutil.copy(example(), mine)
    text = mine.read_text(encoding="utf-8")
    mine.write_text(
        text.replace("{limit: 0.05, hard: true}", "{limit: 0.04, hard: true}").replace(
            "kelly_multiplier: 1.0", "kelly_multiplier: 0.5"
        ),
        encoding="utf-8",
    )
    c = Coordinator.from_yaml(mine)
    assert c.policy == Policy(max_position_size=0.04)
    assert c.sizing == SizingConfig(kelly_multiplier=0.5)
    assert c.risk_loop == RiskLoopConfig()
    # a newcomer's percent slip in the copy is caught on its line
    mine.write_text(
        text.replace("max_kelly_fraction: 0.25", "max_kelly_fraction: 25"), encoding="utf-8"
    )
    line = 1 + text.splitlines().index(
        next(ln for ln in text.splitlines() if ln.strip().startswith("max_kelly_fraction:"))
    )
    with pytest.raises(ConfigError) as exc:
        Coordinator.from_yaml(mine)
    assert str(exc.value) == (
        f"{mine}:{line}: sizing.max_kelly_fraction: 25 looks like a percentage; the Kelly cap "
        "is a fraction of NAV: write 0.25 for 25%"
    )


def test_example_policy_ships_in_the_wheel():
    hatchling = pytest.importorskip("hatchling.builders.wheel")
    root = Path(__file__).resolve().parents[1]
    names = {
        f.distribution_path for f in hatchling.WheelBuilder(str(root)).recurse_included_files()
    }
    assert "portlab/datasets/data/example_policy.yaml" in names
    assert example().is_file() and example().name == "example_policy.yaml"


def test_every_numeric_setting_has_a_checked_range():
    """Every numeric setting (and rule) refuses a number far outside any sensible range: each
    has a declared range, not only a type; leverage has a finite upper bound."""
    for cls in (*MODELS.values(), Rule):
        for name, field in cls.model_fields.items():
            if field.annotation in (float, int, Rule):
                with pytest.raises(ConfigError, match=rf"\b{name}: -1e\+09 is too small"):
                    cls(**{name: -1e9})
    with pytest.raises(ConfigError, match="max_leverage: 1e\\+09 is too large"):
        Policy(max_leverage=1e9)
