"""The published few-shot transfer tasks: source devices to pretrain on, target devices to adapt to.

The device lists are NASFLAT's (abdelfattah-lab/nasflat_latency @ 82924343a2a95e1f2607047087bbc09fdcca8be4,
``correlation_trainer/device_task_list.py``; its comments disagree with its lists in places, the lists are what
its runs used). N0 is HELP's own NAS-Bench-201 split and F0 its FBNet split. N0 and F0-F5 use only the 27 public
HELP devices of their space; N1-N5 name devices whose tables NASFLAT distributes only in a Google-Drive archive,
so they are listed (``public=False``, with the devices missing here) but cannot be run.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwnas.core.errors import ConfigError, UnknownNameError


@dataclass(frozen=True)
class Task:
    name: str
    space: str
    source: tuple[str, ...]
    target: tuple[str, ...]
    public: bool = True
    missing: tuple[str, ...] = ()  # devices not in the public tables (public=False)

    def check_runnable(self) -> None:
        if not self.public:
            raise ConfigError(
                f"task {self.name} needs devices that are not in the public HELP tables "
                f"({', '.join(self.missing)}): NASFLAT distributes them only in a Google-Drive archive"
            )


def _t(name: str, space: str, source: str, target: str, missing: str = "") -> Task:
    return Task(name, space, tuple(source.split()), tuple(target.split()), not missing, tuple(missing.split()))


_NB201_PRIVATE = {
    "jetson": "embedded_gpu_jetson_nano_fp16",
    "jetson32": "embedded_gpu_jetson_nano_fp32",
    "tpu": "embedded_tpu_edge_tpu_int8",
    "a612": "mobile_gpu_snapdragon_675_adreno_612_int8",
    "a640": "mobile_gpu_snapdragon_855_adreno_640_int8",
    "h685": "mobile_dsp_snapdragon_675_hexagon_685_int8",
    "h690": "mobile_dsp_snapdragon_855_hexagon_690_int8",
    "k485": "mobile_cpu_snapdragon_855_kryo_485_int8",
    "gtx": "desktop_gpu_gtx_1080ti_fp32",
    "i7": "desktop_cpu_core_i7_7820x_fp32",
}
_P = _NB201_PRIVATE

TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        _t(
            "N0",
            "nb201",
            "1080ti_1 1080ti_32 1080ti_256 silver_4114 silver_4210r samsung_a50 pixel3 essential_ph_1 samsung_s7",
            "titan_rtx_256 gold_6226 fpga pixel2 raspi4 eyeriss",
        ),
        _t(
            "N1",
            "nb201",
            f"{_P['tpu']} eyeriss {_P['a612']} {_P['a640']} pixel3",
            "1080ti_1 titan_rtx_32 titanxp_1 2080ti_32 titan_rtx_1",
            f"{_P['tpu']} {_P['a612']} {_P['a640']}",
        ),
        _t(
            "N2",
            "nb201",
            "1080ti_1 1080ti_32 titanx_32 titanxp_1 titanxp_32",
            f"{_P['jetson']} {_P['tpu']} {_P['h685']} {_P['h690']} pixel3",
            f"{_P['jetson']} {_P['tpu']} {_P['h685']} {_P['h690']}",
        ),
        _t(
            "N3",
            "nb201",
            f"{_P['gtx']} {_P['jetson']} eyeriss {_P['h685']} {_P['a640']}",
            "1080ti_1 2080ti_1 titanxp_1 2080ti_32 titanxp_32",
            f"{_P['gtx']} {_P['jetson']} {_P['h685']} {_P['a640']}",
        ),
        _t(
            "N4",
            "nb201",
            f"{_P['i7']} {_P['jetson32']} {_P['tpu']} eyeriss {_P['k485']} {_P['h685']} {_P['h690']} "
            f"{_P['a612']} {_P['a640']} pixel2",
            "1080ti_1 2080ti_1 titan_rtx_1",
            f"{_P['i7']} {_P['jetson32']} {_P['tpu']} {_P['k485']} {_P['h685']} {_P['h690']} {_P['a612']} {_P['a640']}",
        ),
        _t(
            "N5",
            "nb201",
            "titan_rtx_1 titan_rtx_32 titanxp_1 2080ti_1 titanx_1 1080ti_1 titanx_32 titanxp_32 "
            "2080ti_32 1080ti_32 gold_6226 samsung_s7 silver_4114 gold_6240 silver_4210r samsung_a50 pixel2",
            f"eyeriss {_P['gtx']} {_P['tpu']}",
            f"{_P['gtx']} {_P['tpu']}",
        ),
        _t(
            "F0",
            "fbnet",
            "1080ti_1 1080ti_32 1080ti_64 silver_4114 silver_4210r samsung_a50 pixel3 essential_ph_1 samsung_s7",
            "fpga raspi4 eyeriss",
        ),
        _t(
            "F1",
            "fbnet",
            "2080ti_1 essential_ph_1 silver_4114 titan_rtx_1 titan_rtx_32",
            "eyeriss fpga raspi4 samsung_a50 samsung_s7",
        ),
        _t(
            "F2",
            "fbnet",
            "essential_ph_1 gold_6226 gold_6240 pixel3 raspi4",
            "1080ti_1 1080ti_32 2080ti_32 titan_rtx_1 titanxp_1",
        ),
        _t(
            "F3",
            "fbnet",
            "essential_ph_1 pixel2 pixel3 raspi4 samsung_s7",
            "1080ti_1 1080ti_32 2080ti_1 titan_rtx_1 titan_rtx_32",
        ),
        _t(
            "F4",
            "fbnet",
            "1080ti_64 2080ti_1 eyeriss gold_6226 gold_6240 raspi4 samsung_s7 silver_4210r titan_rtx_1 titan_rtx_32",
            "1080ti_1 pixel2 essential_ph_1",
        ),
        _t(
            "F5",
            "fbnet",
            "1080ti_1 1080ti_32 1080ti_64 2080ti_1 2080ti_32 2080ti_64 titan_rtx_1 titan_rtx_32 "
            "titan_rtx_64 titanx_1 titanx_32 titanx_64 titanxp_1 titanxp_32 titanxp_64",
            "gold_6226 essential_ph_1 samsung_s7 pixel2",
        ),
    )
}


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise UnknownNameError("few-shot task", name, sorted(TASKS))
    return TASKS[name]
