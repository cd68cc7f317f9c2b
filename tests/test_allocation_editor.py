"""The allocation editor's Python side, without a browser.

Setting ``target_weights`` (what a release of a bar does) must give the decisions of a direct
``Coordinator`` call with the same rebalance request, built here independently of the
widget; the limits sent to the browser must be the policy's; a weight above a limit must be
flagged with the engine's own measures (``portlab.ui.limit_usage``); the front-end files must
be found in both installed layouts.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("anywidget")

import portlab
from portlab.events import (
    InstrumentAdjustment,
    RebalanceConstraints,
    RebalanceRequestEvent,
)
from portlab.exceptions import DataError
from portlab.plots.palette import LimitStatus
from portlab.ui import limit_usage, sample_inputs
from portlab.widgets.allocation_editor import (
    ASSET_NAMES,
    AllocationEditor,
    Breach,
    asset_dirs,
    asset_path,
    breaches,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def inputs():
    return sample_inputs(signals=[])


@pytest.fixture(scope="module")
def weights(inputs):
    """Current weights of the example portfolio, straight from the state."""
    return inputs.state.weights(inputs.market.last_prices)


def direct_request(inputs, weights, targets, max_turnover=1.0):
    """The rebalance request for ``targets``, written out by hand."""
    return RebalanceRequestEvent(
        timestamp=pd.Timestamp(inputs.market.dates[-1]).isoformat(),
        portfolio_id="allocation-editor",
        rebalance_type="TACTICAL",
        target_adjustments=[
            InstrumentAdjustment(
                instrument_id=iid,
                current_weight=float(weights.get(iid, 0.0)),
                target_weight=w,
                adjustment_needed=w - float(weights.get(iid, 0.0)),
            )
            for iid, w in targets.items()
        ],
        constraints=RebalanceConstraints(
            max_turnover=max_turnover, min_trade_size=0, execution_timeframe="1_day"
        ),
    )


KEY = ["instrument_id", "action", "share_quantity", "trade_amount", "reasoning"]


@pytest.mark.parametrize(
    ("policy", "targets"),
    [
        (None, {"LLY": 0.03, "MSFT": 0.045, "AAPL": 0.0}),
        ({"max_position_size": 0.04}, {"LLY": 0.06, "PFE": 0.02}),
    ],
)
def test_targets_give_the_decisions_of_a_direct_coordinator_call(inputs, weights, policy, targets):
    coordinator = portlab.Coordinator(policy=policy)
    editor = AllocationEditor(coordinator=coordinator)
    editor.target_weights = {**editor.target_weights, **targets}

    direct = coordinator.coordinate(
        None, inputs.state, inputs.market, [direct_request(inputs, weights, targets)]
    )
    assert len(direct.decisions) == len(targets)
    pd.testing.assert_frame_equal(
        editor.result.decisions[KEY].reset_index(drop=True),
        direct.decisions[KEY].reset_index(drop=True),
    )
    assert editor.error == ""
    assert editor.decisions == [
        {
            "instrument": d.instrument_id,
            "action": d.action,
            "shares": f"{int(d.share_quantity):,}",
            "amount": f"${d.trade_amount:,.0f}",
            "reasoning": d.reasoning,
        }
        for d in direct.decisions.itertuples()
    ]
    assert editor.summary == f"{len(targets)} decisions"


def test_a_target_above_the_cap_is_bought_only_up_to_the_cap(inputs):
    editor = AllocationEditor()
    editor.target_weights = {**editor.target_weights, "LLY": 0.08}
    (decision,) = editor.result.decisions.itertuples()
    policy = editor.coordinator.policy
    after = limit_usage(inputs.state, inputs.market, policy, editor.result.decisions)
    assert decision.action == "BUY"
    assert 0.049 < after.positions.loc["LLY", "after"] <= 0.05
    assert "position limit" in decision.reasoning


def test_the_limits_sent_to_the_browser_are_the_policys():
    policy = portlab.Policy(
        max_position_size=0.04,
        max_sector_exposure={"limit": 0.2, "hard": False},
        max_leverage=1.5,
        allow_short=True,
    )
    editor = AllocationEditor(coordinator=portlab.Coordinator(policy=policy))
    assert editor.limits == {
        "position": {"limit": 0.04, "hard": True},
        "sector": {"limit": 0.2, "hard": False},
        "leverage": {"limit": 1.5, "hard": True},
        "allow_short": True,
        "near": 0.9,
    }


def test_the_bars_are_every_instrument_with_its_current_weight_grouped_by_sector(inputs, weights):
    editor = AllocationEditor()
    sectors = inputs.market.sectors
    assert {d["id"] for d in editor.instruments} == set(sectors.index)
    for d in editor.instruments:
        assert d["sector"] == sectors[d["id"]]
        assert d["current"] == pytest.approx(float(weights.get(d["id"], 0.0)), abs=1e-15)
    order = [d["sector"] for d in editor.instruments]
    assert order == sorted(order)  # each sector's bars together
    assert editor.target_weights == {d["id"]: d["current"] for d in editor.instruments}


def test_unchanged_targets_make_no_request():
    editor = AllocationEditor()
    assert editor.request is None and editor.result is None
    assert editor.decisions == [] and editor.summary == "Drag a bar to set a target weight"


def test_starting_targets_are_coordinated_at_once(inputs, weights):
    editor = AllocationEditor(targets={"MRK": 0.02})
    direct = portlab.Coordinator().coordinate(
        None, inputs.state, inputs.market, [direct_request(inputs, weights, {"MRK": 0.02})]
    )
    assert editor.result.decisions["share_quantity"].tolist() == (
        direct.decisions["share_quantity"].tolist()
    )


def test_a_weight_above_the_cap_is_flagged():
    editor = AllocationEditor()
    base = dict(editor.target_weights)
    base["MSFT"] = 0.04  # the example holds 6.1% of MSFT, itself over the cap
    editor.target_weights = {**base, "LLY": 0.06}
    assert Breach("position", "LLY", 0.06, 0.05, LimitStatus.OVER_HARD) in editor.breaches
    editor.target_weights = {**base, "LLY": 0.046}
    assert [b.status for b in editor.breaches if b.where == "LLY"] == [LimitStatus.NEAR]
    editor.target_weights = {**base, "LLY": 0.03}
    assert [b for b in editor.breaches if b.where == "LLY"] == []


def test_flags_use_the_engines_measures_of_sectors_and_leverage(inputs, weights):
    # tight limits that the example portfolio already exceeds
    policy = portlab.Policy(max_sector_exposure=0.09, max_leverage=0.25)
    usage = limit_usage(
        inputs.state,
        inputs.market,
        policy,
        pd.DataFrame(columns=["instrument_id", "action", "share_quantity", "price"]),
    ).limits
    found = {b.rule: b for b in breaches(weights.to_dict(), inputs.market.sectors, policy)}
    for rule in ("position", "sector", "leverage"):
        assert usage.loc[rule, "breached_before"]
        assert found[rule].value == pytest.approx(usage.loc[rule, "before"], rel=1e-12)
        assert found[rule].where == usage.loc[rule, "where_before"]
        assert found[rule].status is LimitStatus.OVER_HARD


def test_soft_limits_are_flagged_amber_not_red():
    policy = portlab.Policy(max_position_size={"limit": 0.05, "hard": False})
    (flag,) = breaches({"AAPL": 0.07}, {"AAPL": "Information Technology"}, policy)
    assert flag.status is LimitStatus.OVER_SOFT


def test_a_bad_target_is_a_message_and_the_last_result_is_kept():
    editor = AllocationEditor()
    editor.target_weights = {**editor.target_weights, "LLY": 0.03}
    good, rows = editor.result, editor.decisions
    editor.target_weights = {**editor.target_weights, "LLY": math.nan}
    assert "target_weights['LLY']" in editor.error and "finite" in editor.error
    assert editor.result is good and editor.decisions == rows
    assert editor.busy is False
    editor.target_weights = {**editor.target_weights, "LLY": 0.02}
    assert editor.error == "" and editor.result is not good


def test_busy_is_shown_while_the_engine_computes():
    editor = AllocationEditor()
    seen: list[bool] = []
    editor.observe(lambda change: seen.append(change["new"]), names="busy")
    editor.target_weights = {**editor.target_weights, "LLY": 0.01}
    assert seen == [True, False]


# ---- the front-end files in both layouts ----


def test_the_front_end_files_are_found_where_portlab_is_installed():
    module = Path(sys.modules[AllocationEditor.__module__].__file__).resolve()
    editable = module.is_relative_to(ROOT / "src")
    for name in ASSET_NAMES:
        # pip install -e . reads the repository's widgets/; a wheel its own copy
        expected = ROOT / "widgets" / name if editable else asset_dirs()[0] / name
        assert asset_path(name) == expected.resolve()
    assert str(AllocationEditor._esm) == asset_path(ASSET_NAMES[0]).read_text(encoding="utf-8")
    assert str(AllocationEditor._css) == asset_path(ASSET_NAMES[1]).read_text(encoding="utf-8")


def test_the_installed_folder_comes_first_and_a_missing_file_names_the_folders(tmp_path):
    wheel, tree = tmp_path / "wheel", tmp_path / "tree"
    for folder in (wheel, tree):
        folder.mkdir()
    (tree / "allocation_editor.js").write_text("tree")
    assert asset_path("allocation_editor.js", [wheel, tree]) == tree / "allocation_editor.js"
    (wheel / "allocation_editor.js").write_text("wheel")
    assert asset_path("allocation_editor.js", [wheel, tree]) == wheel / "allocation_editor.js"
    with pytest.raises(DataError, match="nothing.js.*wheel.*tree"):
        asset_path("nothing.js", [wheel, tree])
    here = Path(sys.modules[AllocationEditor.__module__].__file__).resolve().parent
    assert asset_dirs()[0] == here / "assets"


def _ships_widgets() -> bool:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = config["tool"]["hatch"]["build"]["targets"]["wheel"]
    return wheel.get("force-include", {}).get("widgets") == "portlab/widgets/assets"


@pytest.mark.skipif(
    not _ships_widgets(),
    reason="pyproject.toml does not ship widgets/ yet: add "
    '[tool.hatch.build.targets.wheel.force-include] "widgets" = "portlab/widgets/assets"',
)
def test_the_wheel_and_the_sdist_ship_the_front_end_files(tmp_path):
    pytest.importorskip("hatchling")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    for name in ("src", "widgets", "notebooks", "templates"):  # the wheel force-includes 3
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-t", "sdist", "-d", "dist"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    with zipfile.ZipFile(next((tmp_path / "dist").glob("*.whl"))) as archive:
        wheel = archive.namelist()
    with tarfile.open(next((tmp_path / "dist").glob("*.tar.gz"))) as archive:
        sdist = archive.getnames()
    for name in ASSET_NAMES:
        assert f"portlab/widgets/assets/{name}" in wheel
        assert f"portlab-{portlab.__version__}/widgets/{name}" in sdist
    tutorials = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert tutorials
    for name in tutorials:
        assert f"portlab/notebooks/{name}" in wheel
        assert f"portlab-{portlab.__version__}/notebooks/{name}" in sdist
    # the report templates and the page template nbconvert renders them with
    assert "portlab/templates/portfolio.ipynb" in wheel
    assert f"portlab-{portlab.__version__}/templates/portfolio.ipynb" in sdist
    assert "portlab/reports/nbconvert/portlab_report/index.html.j2" in wheel


@pytest.mark.parametrize("policy", [None, {"max_position_size": 0.04}])
def test_to_code_reproduces_the_decisions(policy):
    editor = AllocationEditor(coordinator=portlab.Coordinator(policy=policy))
    editor.target_weights = {**editor.target_weights, "LLY": 0.0612345, "MSFT": 0.02}
    namespace: dict = {}
    exec(editor.to_code(), namespace)
    pd.testing.assert_frame_equal(namespace["result"].decisions, editor.result.decisions)


def test_to_code_names_a_given_market_and_state(inputs):
    editor = AllocationEditor(market=inputs.market, state=inputs.state)
    code = editor.to_code()
    assert "load_sample" not in code and "market, state: the objects given to" in code
    namespace = {"market": inputs.market, "state": inputs.state}
    exec(code, namespace)
    assert namespace["result"].decisions.empty  # no target moved
