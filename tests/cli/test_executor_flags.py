"""The executor flags (``--executor``, ``--executor-opt``, ``--ray-address``) of every command that can run on Ray,
declared once (:mod:`hwnas.cli.executor_options`): ``--ray-address ADDR`` is ``--executor-opt address=ADDR`` and
selects ray, it conflicts with another executor or another address (one line, exit 2, nothing written), and the
option reaches what each command runs (the library call is replaced here: no Ray cluster starts, and Ray need not
be installed). ``hwnas pipeline``'s flags override the config's ``search.executor`` and do not block a resume."""

from __future__ import annotations

import sys
import types
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.main import get_command
from typer.testing import CliRunner

from hwnas.cli.executor_options import executor_block
from hwnas.cli.main import app
from hwnas.core.errors import ConfigError
from hwnas.pipeline.config import load_pipeline_config

ADDRESS = "10.0.0.1:6379"
SEARCH = ["search", "--space", "tiny", "--objective", "params:min", "--iterations", "1"]
BENCH = ["bench", "run", "--problem", "gpt-s-perplexity-latency-h100", "--seeds", "1", "--evaluations", "5"]
COLLECT = ["latency", "collect", "--space", "tiny", "--n", "1", "--devices", "cpu-a"]
FEWSHOT = ["fewshot", "run", "--space", "nb201", "--source", "a", "--target", "b", "--seeds", "1"]
SWEEP = ["sweep", "--tasks", "F0", "--seeds", "1"]
PIPELINE = ["pipeline", "quickstart-smoke"]
COMMANDS = {"search": SEARCH, "bench run": BENCH, "latency collect": COLLECT, "fewshot run": FEWSHOT,
            "sweep": SWEEP, "pipeline": PIPELINE}  # fmt: skip
SHORT = ["--ray-address", ADDRESS]
LONG = ["--executor", "ray", "--executor-opt", f"address={ADDRESS}"]


class Stop(ConfigError):
    """Raised by a replaced library call once it has seen what the command gives it."""


def _flags(**given: Any) -> dict[str, Any]:
    return {"executor": None, "executor_opt": None, "ray_address": None} | given


def test_the_shorthand_is_the_long_form_and_selects_ray() -> None:
    long = executor_block(_flags(executor="ray", executor_opt=[f"address={ADDRESS}"]))
    assert executor_block(_flags(ray_address=ADDRESS)) == long == {"name": "ray", "options": {"address": ADDRESS}}
    both = _flags(executor="ray", executor_opt=[f"address={ADDRESS}", "actors=4"], ray_address=ADDRESS)
    assert executor_block(both) == {"name": "ray", "options": {"address": ADDRESS, "actors": 4}}  # the same: fine
    assert executor_block(_flags()) is None
    assert executor_block(_flags(), default="serial") == {"name": "serial", "options": {}}
    assert executor_block(_flags(executor_opt=["actors=2"])) == {"name": None, "options": {"actors": 2}}


@pytest.mark.parametrize(
    ("given", "says"),
    [
        (_flags(executor="process", ray_address="auto"), "--ray-address 'auto' joins a Ray cluster, but --executor is"),
        (_flags(executor="serial", ray_address="auto"), "--executor is 'serial'; give --executor ray"),
        (_flags(executor_opt=["address=auto"], ray_address=ADDRESS), "--executor-opt address=auto name different"),
        (_flags(ray_address=" "), "--ray-address ' ' is empty; give the cluster to join: auto, HOST:PORT"),
        (_flags(executor_opt=["address"]), "--executor-opt 'address' is malformed; expected KEY=VALUE"),
    ],
)
def test_conflicts_are_refused_naming_both_flags(given: dict[str, Any], says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        executor_block(given)
    assert says in str(raised.value) and "\n" not in str(raised.value)


def test_every_command_declares_the_same_three_flags() -> None:
    """One declaration: the ``--ray-address`` help (and the flags' presence) cannot differ between commands."""
    root = get_command(app)
    helps = set()
    for name in COMMANDS:
        command: Any = root
        for part in name.split():
            command = command.commands[part]  # type: ignore[attr-defined]
        params = {opt: param for param in command.params for opt in param.opts}
        assert {"--executor", "--executor-opt", "--ray-address"} <= set(params), name
        helps.add(params["--ray-address"].help)
    assert len(helps) == 1 and "Same as --executor-opt address=ADDR; selects --executor ray" in helps.pop()


def _invoke(argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(app, argv)


def _stopped(result: Any) -> None:
    assert result.exit_code == 2 and result.stderr.strip() == "error: stop", result.output


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Replaces the library call of every command by one that records what it was given and stops the command."""
    import hwnas.hardware.pool_collect
    import hwnas.hardware.ray_cluster
    import hwnas.pipeline
    import hwnas.search
    import hwnas.studies.suite
    import hwnas.studies.sweep

    found: list[Any] = []

    def record(value: Any) -> Any:
        found.append(value)
        raise Stop("stop")

    monkeypatch.setattr(hwnas.search, "plan_search", lambda config: record(config.executor.model_dump()))
    monkeypatch.setattr(hwnas.studies.suite, "run_suite", lambda *a, executor, **k: record(executor))
    monkeypatch.setattr(hwnas.pipeline, "run_pipeline", lambda config, **k: record(config.search.executor))
    monkeypatch.setitem(sys.modules, "ray", types.ModuleType("ray"))  # checked present, never used: none need be
    monkeypatch.setattr(hwnas.hardware.ray_cluster, "task_map", lambda options, what: record(options.address))
    monkeypatch.setattr(hwnas.studies.sweep, "run_sweep", lambda cells, out, ray: record(ray.address))
    monkeypatch.setattr(
        hwnas.hardware.pool_collect, "collect_on_devices", lambda space, options, **k: record(options.address)
    )
    return found


def _argv(command: str, tmp_path: Path) -> list[str]:
    """The command with its output folder (fewshot run writes none)."""
    out = {"pipeline": ["--run-dir", str(tmp_path / "out")], "fewshot run": []}
    return [*COMMANDS[command], *out.get(command, ["--out", str(tmp_path / "out")])]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_the_shorthand_reaches_each_command_as_the_long_form_does(
    command: str, seen: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = _argv(command, tmp_path)
    for flags in (SHORT, LONG):
        _stopped(_invoke([*argv, *flags], tmp_path, monkeypatch))
    assert len(seen) == 2 and seen[0] == seen[1], seen
    assert ADDRESS in str(seen[0]) and not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_another_executor_with_the_address_exits_2_writing_nothing(
    command: str, seen: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = _argv(command, tmp_path)
    result = _invoke([*argv, "--executor", "serial", "--ray-address", "auto"], tmp_path, monkeypatch)
    assert result.exit_code == 2 and result.stderr.splitlines() == [
        "error: --ray-address 'auto' joins a Ray cluster, but --executor is 'serial'; give --executor ray (or leave "
        "it out: --ray-address selects ray), or drop --ray-address"
    ]
    conflict = _invoke([*argv, *SHORT, "--executor-opt", "address=auto"], tmp_path, monkeypatch)
    assert conflict.exit_code == 2 and "--ray-address '10.0.0.1:6379' and --executor-opt address=auto" in (
        conflict.stderr
    )
    assert seen == [] and list(tmp_path.iterdir()) == []


def _pipeline_file(tmp_path: Path, executor: Any) -> Path:
    path = tmp_path / "pipe.yaml"
    data = yaml.safe_load(resources.files("hwnas.configs.pipeline").joinpath("quickstart-smoke.yaml").read_text())
    data["search"] = {**(data.get("search") or {}), "executor": executor}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_the_pipeline_flags_override_the_config_block(tmp_path: Path) -> None:
    path = _pipeline_file(tmp_path, {"name": "ray", "options": {"actors": 3, "address": "auto"}})
    assert load_pipeline_config(path).search.executor == {"name": "ray", "options": {"actors": 3, "address": "auto"}}
    merged = load_pipeline_config(path, executor={"name": None, "options": {"address": ADDRESS}})
    assert merged.search.executor == {"name": "ray", "options": {"actors": 3, "address": ADDRESS}}
    replaced = load_pipeline_config(path, executor={"name": "process", "options": {"workers": 2}})
    assert replaced.search.executor == {"name": "process", "options": {"workers": 2}}
    bundled = load_pipeline_config("quickstart-smoke", executor={"name": "ray", "options": {"address": ADDRESS}})
    assert bundled.search.executor == {"name": "ray", "options": {"address": ADDRESS}}
    with pytest.raises(
        ConfigError, match=r"with the --executor flags: search.executor: executor 'ray': option 'actors'"
    ):
        load_pipeline_config(path, executor={"name": None, "options": {"actors": 0}})


def test_the_pipeline_cli_gives_the_config_its_executor(
    seen: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _pipeline_file(tmp_path, "process")
    _stopped(_invoke(["pipeline", str(path), "--run-dir", "run", "--ray-address", "auto"], tmp_path, monkeypatch))
    _stopped(_invoke(["pipeline", str(path), "--run-dir", "run"], tmp_path, monkeypatch))
    assert seen == [{"name": "ray", "options": {"address": "auto"}}, "process"]
    bad = _invoke(["pipeline", str(path), "--executor-opt", "actors=0", "--executor", "ray"], tmp_path, monkeypatch)
    assert bad.exit_code == 2 and "search.executor: executor 'ray': option 'actors' is 0" in bad.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe.yaml"]


def test_a_pipeline_without_ray_is_refused_before_its_run_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises, as without the hwnas[ray] extra
    dry = _invoke([*PIPELINE, "--run-dir", "run", "--ray-address", "auto", "--dry-run"], tmp_path, monkeypatch)
    assert dry.exit_code == 2 and "missing  search.executor: --executor ray needs Ray" in dry.output
    run = _invoke([*PIPELINE, "--run-dir", "run", "--executor", "ray"], tmp_path, monkeypatch)
    assert run.exit_code == 2 and run.stderr.startswith("error: search.executor: --executor ray needs Ray")
    assert list(tmp_path.iterdir()) == []


def test_another_executor_does_not_block_a_pipeline_resume(tmp_path: Path) -> None:
    from hwnas.pipeline.runner import _prepare_run_dir

    run_dir = tmp_path / "run"
    serial = load_pipeline_config("quickstart-smoke", run_dir=str(run_dir))
    _prepare_run_dir(serial, run_dir, None)
    ray = load_pipeline_config("quickstart-smoke", run_dir=str(run_dir), executor={"name": "ray", "options": {}})
    _prepare_run_dir(ray, run_dir, None)  # resumes: how the searches run is not what they compute
    assert yaml.safe_load((run_dir / "pipeline.yaml").read_text())["search"]["executor"] == ray.search.executor
    other = load_pipeline_config("quickstart-smoke", run_dir=str(run_dir), seed=7)
    with pytest.raises(ConfigError, match="key 'seed' differs"):
        _prepare_run_dir(other, run_dir, None)
