"""HELP's ``.pt`` latency tables, read with a restricted unpickler (never plain pickle on downloaded data).

Each file is a torch zip archive (``<name>/data.pkl`` + ``<name>/version``) whose pickle holds only plain Python
lists / dicts of str, int and float. Unpickling can run arbitrary code through any global it names, so the
unpickler below resolves no globals except those builtins and refuses persistent ids (tensor storages).
"""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path
from typing import Any

from hwnas.core.errors import DataError, UnknownNameError
from hwnas.data.registry import get_dataset, resolve

_ALLOWED_GLOBALS = frozenset({("builtins", "list"), ("builtins", "dict"), ("builtins", "str"), ("builtins", "int"),
                              ("builtins", "float")})  # fmt: skip
HELP_SPACES = ("nasbench201", "fbnet")


class RestrictedUnpickler(pickle.Unpickler):
    """Only builtins list/dict/str/int/float may be named; anything else (os.system, torch classes) is refused."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed (only builtins list/dict/str/int/float)")

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids (tensor storages) are not allowed")


def restricted_loads(data: bytes) -> Any:
    return RestrictedUnpickler(io.BytesIO(data)).load()


def load_help_pt(path: str | Path) -> Any:
    """The plain Python object pickled inside a torch zip ``.pt`` file, loaded with :class:`RestrictedUnpickler`."""
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise DataError(f"{str(path)!r} is not a torch zip archive (.pt saved by torch >= 1.6)")
    with zipfile.ZipFile(path) as archive:
        members = [n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(members) != 1:
            raise DataError(f"{str(path)!r} holds {len(members)} data.pkl members; expected exactly 1")
        data = archive.read(members[0])
    try:
        return restricted_loads(data)
    except (pickle.UnpicklingError, EOFError, ValueError) as exc:
        raise DataError(f"{str(path)!r} was refused by the restricted unpickler: {exc}") from exc


def help_devices(space: str) -> list[str]:
    """Devices with a latency table in ``space`` (``nasbench201`` or ``fbnet``), from the registry."""
    _check_space(space)
    prefix = f"{space}/latency/"
    return sorted(f.path[len(prefix) : -3] for f in get_dataset("help").files if f.path.startswith(prefix))


def _check_space(space: str) -> None:
    if space not in HELP_SPACES:
        raise UnknownNameError("HELP search space", space, list(HELP_SPACES))


def load_help_latency(space: str, device: str) -> list[float]:
    """Latency (ms) of every architecture of ``space`` on ``device``; index = the space's architecture index."""
    devices = help_devices(space)
    if device not in devices:
        raise UnknownNameError(f"HELP {space} device", device, devices)
    table = load_help_pt(resolve("help", f"{space}/latency/{device}.pt"))
    if not isinstance(table, list) or not all(isinstance(v, int | float) for v in table):
        raise DataError(f"HELP {space}/{device}: expected a list of numbers, got {type(table).__name__}")
    return [float(v) for v in table]


def load_help_archs(space: str) -> Any:
    """NB201: dict arch string -> index (``str_arch2idx.pt``); FBNet: list of 22-op-index lists (``arch.pt``)."""
    _check_space(space)
    return load_help_pt(resolve("help", "nasbench201/str_arch2idx.pt" if space == "nasbench201" else "fbnet/arch.pt"))


def load_help_reference_archs(space: str) -> list[int]:
    """The 10 architecture indices HELP measures on a new device as its hardware fingerprint."""
    _check_space(space)
    return [int(i) for i in load_help_pt(resolve("help", f"{space}/hardware_embedding_index.pt"))]
