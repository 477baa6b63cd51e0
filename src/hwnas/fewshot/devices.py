"""The devices of each few-shot space by name, and the two things done with them: pretrain a model on some, score
a method's transfer to others. HELP's spaces (``nb201``, ``fbnet``: 27 devices measured on the same archs) and the
HAT space (``hat-wmt14ende``: HAT's three CSVs, features only, plus the project's own datasets, with archs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hwnas.core.errors import ConfigError, UnknownNameError
from hwnas.fewshot.model import FewShotOptions, FewShotPredictor
from hwnas.fewshot.tables import HAT_SPACE, hat_devices, help_spaces, help_table


def few_shot_spaces() -> list[str]:
    return [*help_spaces(), HAT_SPACE]


def device_names(space: str) -> list[str]:
    if space == HAT_SPACE:
        return list(hat_devices())
    if space not in help_spaces():
        raise UnknownNameError("few-shot space", space, few_shot_spaces())
    return list(help_table(space).devices)


def _check_names(space: str, names: Sequence[str], what: str) -> None:
    known = device_names(space)
    for name in names:
        if name not in known:
            raise UnknownNameError(f"{space} device ({what})", name, known)
    if not names or len(set(names)) != len(names):
        raise ConfigError(f"{what}: give one or more distinct device names of {space}; got {list(names)}")


def pretrain(space: str, sources: Sequence[str], options: FewShotOptions | None = None) -> FewShotPredictor:
    """A model of ``space`` pretrained on the named devices."""
    from hwnas.spaces import get_space

    _check_names(space, sources, "source")
    if space == HAT_SPACE:
        from hwnas.fewshot.features import SourceBank

        devices = hat_devices()
        tables = {name: (_hat_features(name, devices[name]), devices[name].latency) for name in sources}
        return FewShotPredictor.from_bank(SourceBank.from_tables(get_space(space), tables), options)
    table = help_table(space)
    return FewShotPredictor.pretrain(get_space(space), table.archs, table.columns(sources), sources, options)


def compare(
    space: str,
    sources: Sequence[str],
    targets: Sequence[str],
    methods: Sequence[str],
    **kwargs: Any,
) -> dict[str, list[dict[str, Any]]]:
    """Records per method (:func:`hwnas.fewshot.protocol.compare_methods`) of a transfer in ``space``."""
    from hwnas.fewshot.protocol import compare_hat, compare_methods

    _check_names(space, sources, "source")
    _check_names(space, targets, "target")
    if space != HAT_SPACE:
        return compare_methods(help_table(space), sources, targets, methods, **kwargs)
    devices = hat_devices()
    lacking = [name for name in targets if devices[name].archs is None]
    if lacking:
        with_archs = [name for name, d in devices.items() if d.archs is not None]
        raise ConfigError(f"target(s) {', '.join(lacking)}: HAT's CSVs hold no archs, so they can only be sources; "
                          f"a target needs archs: {', '.join(with_archs)}")  # fmt: skip
    source_tables = {name: (_hat_features(name, devices[name]), devices[name].latency) for name in sources}
    target_tables = {name: (devices[name].archs or (), devices[name].latency) for name in targets}
    return compare_hat(source_tables, target_tables, methods, space=space, **kwargs)


def _hat_features(name: str, dataset: Any) -> Any:
    if dataset.features is None:
        raise ConfigError(f"HAT device {name!r} has no HAT features")
    return dataset.features
