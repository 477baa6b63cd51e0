"""Parallel MT corpora in the registry (files, hashes, upstream URLs, licences, named splits).

Stored copies are gzip'd UTF-8 text (see mt/PROVENANCE.md in the shared data folder). Multi30k is gzip'd upstream
(byte-identical); the other sets are plain text upstream, so their entries also carry ``content_sha256`` (sha256 of
the decompressed text), which is what a download is checked against before it is stored gzip'd.
"""

from __future__ import annotations

from hwnas.data.registry import DataFile, Dataset, UpstreamKind

_RAW = "https://raw.githubusercontent.com"
_MULTI30K = f"{_RAW}/multi30k/dataset/a3d2e0d26b56f3846f66a952536ffed4e401d05a/data/task1/raw"
# OPUS-MT-testsets: the shared copy names commit ac0f19c0; these commits hold the same testsets/<pair>/ layout.
_OPUS_NEWS = f"{_RAW}/Helsinki-NLP/OPUS-MT-testsets/a35942bf0fbf19e0c185030e358ea5368a5a2d6f/testsets"
_OPUS_TATOEBA = (
    f"{_RAW}/Helsinki-NLP/OPUS-MT-testsets/c04247a761e3814edbe616018f324d02f92ed68c"
    "/datasets/helsinki_nlp/tatoeba/testsets/deu-eng"
)
_IWSLT = f"{_RAW}/pcyin/pytorch_nmt/bf28dae8/data"

_WMT_TERMS = "WMT shared-task test sets: research use (terms of the WMT organisers)"
_MULTI30K_TERMS = "Flickr30K-derived: non-commercial research and/or educational use only (no licence file upstream)"


def _mt_file(path: str, sha256: str, content_sha256: str, url: str, upstream: UpstreamKind = "gzip") -> DataFile:
    return DataFile(path=path, sha256=sha256, url=url, upstream=upstream, content_sha256=content_sha256)


def _multi30k_pair(stem: str, sums: dict[str, tuple[str, str]]) -> tuple[DataFile, ...]:
    return tuple(
        _mt_file(f"{stem}.{lang}.gz", *sums[lang], url=f"{_MULTI30K}/{stem}.{lang}.gz", upstream="same")
        for lang in ("de", "en")
    )


_MULTI30K_FILES = (
    *_multi30k_pair(
        "train",
        {
            "de": (
                "726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6",
                "2c2b73fd2b548fbcde3a875e0a78d6ee94d498bfdee6bd3eae3945779e9ddf72",
            ),
            "en": (
                "d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f",
                "460a15fbd157e34a7a9957ee388c1ca247fe47af3ef25fb50442af6c274e0fc6",
            ),
        },
    ),
    *_multi30k_pair(
        "val",
        {
            "de": (
                "f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a",
                "660e09eb7e1da2f856ea13ee5ad3cf6d36b3d5b0b733c857e94c5747a3dfc660",
            ),
            "en": (
                "14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28",
                "1f2a23d992769b5b3d209b0a10dd0b77c08cceb1f20dfb97ed0aafa49d107227",
            ),
        },
    ),
    *_multi30k_pair(
        "test_2016_flickr",
        {
            "de": (
                "9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8",
                "4be6b5b3236b79c25475c6bb829800a7ce559e9ba7a1f6c2394fe4d40be46d16",
            ),
            "en": (
                "611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9",
                "399a4382932c1aadd3ceb9bef1008d388a64c76d4ae4e9d4728c6f4301cac182",
            ),
        },
    ),
    *_multi30k_pair(
        "test_2017_flickr",
        {
            "de": (
                "a2c89666db00c495cd8513b9d708d5a3acc205d7de312ef2bf5fb7ebc1540aee",
                "c3078bc3b36808bf9d20eb2347ed6137016179ef59ec0d2b9b8ecc3fb2880081",
            ),
            "en": (
                "76a444ee25172e72695cddb13ae4a3bda59430617be88e0bb46b60504f054074",
                "ce1450ddc5ab0834502579d77a170849952e15a2938b34cc503bdc25ebb4fb98",
            ),
        },
    ),
    *_multi30k_pair(
        "test_2017_mscoco",
        {
            "de": (
                "799e4854c25d601cb6cb6be29eabe5667734c61ace2f495e03e429031a0bc338",
                "58277df3c75f92f7145a11b910b553d1cf82c439249d4dc237c899609eafac22",
            ),
            "en": (
                "aab300bfb4427697987e02cd0aacd44bfe8aa50456231b6474c08038bbed2b58",
                "43051fdfa86fd5395182e718a94ca67b1b227b9f7c79596ff0f6b813216981d2",
            ),
        },
    ),
    *_multi30k_pair(
        "test_2018_flickr",
        {
            "de": (
                "ddd0130c7d97482dc5197a02141dae8dd79f20f03586c480d675c09a32daf608",
                "39fcc8b3331d76fb42d648d019c6898b0d5e58baac87bc2a0bb93f44ec8db207",
            ),
            "en": (
                "ef4f4844037d4c5dea75c9a8ed5fd78905967a26f67c255e230cc9780032654d",
                "4e585c2dd525911a6ea7730e9d0b516239af3f1b1ffae6a2130223cfb639f25e",
            ),
        },
    ),
)

_MULTI30K_SPLITS = {
    "train": "train",
    "val": "val",
    "test2016": "test_2016_flickr",
    "test2017": "test_2017_flickr",
    "test2017_mscoco": "test_2017_mscoco",
    "test2018": "test_2018_flickr",
}


def _news(path: str, sha256: str, content_sha256: str, upstream_path: str) -> DataFile:
    return _mt_file(path, sha256, content_sha256, url=f"{_OPUS_NEWS}/{upstream_path}")


_NEWSTEST2013 = (
    _news(
        "newstest2013.de-en.de.gz",
        "f3b87352620b54bc2bb2e314ee11595af4af957389d254303708b701a0893b5d",
        "d7ea35ab91ff3709e03ad9cb6bf5b4f2cc775cd2d72efd5254c4aec5e69663ca",
        "de-en/newstest2013.de",
    ),
    _news(
        "newstest2013.de-en.en.gz",
        "162df22a4c495e32b7039463d27085e20ffff94b816f57a96ede3b1d92ddfa3e",
        "ace268a1d9724ca76f6d8e5c720ffdc08f01bdce45630ed8b269dc7918e1c16e",
        "de-en/newstest2013.en",
    ),
)
_NEWSTEST2014 = (
    _news(
        "newstest2014.de-en.de.gz",
        "20b141a4dfe4c78a991f9999174f8f378565ea479ebaef056a68b16d23b74702",
        "ae5d110486bc33d7175e9e28c7d0051eb3e5fcd2166dd93371089852c091a20e",
        "de-en/newstest2014-deen.de",
    ),
    _news(
        "newstest2014.de-en.en.gz",
        "c9d36aa995abde6b41abebef6411be4f1ecc2f520f04dd6e382a232c34b36ff6",
        "7294bccf2879a97b3706b95c9595f1459617a8ee7130d5d8581c910e69736971",
        "de-en/newstest2014-deen.en",
    ),
    _news(
        "newstest2014.en-fr.en.gz",
        "639cabed16968950ba756e1306c3d5a25415cd4ec86dfaa13adf4aebf8f1fa54",
        "9a12cb6e8efb3509ebede627e4a9c83ee64935509d561ff70f4b7bd5f93f6096",
        "en-fr/newstest2014.en",
    ),
    _news(
        "newstest2014.en-fr.fr.gz",
        "5da04d63cf9dee55a3a3d23ff82ddd2e206ccff25b4449251ee4e632d823010f",
        "2bd07dc204f965bf88e90adb6223a8cb850f9bf9840df6af1f4945195936656e",
        "en-fr/newstest2014.fr",
    ),
)
_NEWSTEST2019 = (
    _news(
        "newstest2019.en-de.de.gz",
        "7be839b19f5d7a45eee0e7458db5f08a6492f9df60d5db0f8dce602005de17f2",
        "ba6b9c811a564c7747bdc92de2b31513bc608fd9c7c24df85b654e38b83bca81",
        "en-de/newstest2019-ende.de",
    ),
    _news(
        "newstest2019.en-de.en.gz",
        "6ae5fa34a6512f2776d6ea7b8d32cead3f11d7878cfd8e4437644e86b4f574dc",
        "3a62f94f5c42a395d4452ec890ca45afc75866b5b4b1d493429433cfe8469fe9",
        "en-de/newstest2019-ende.en",
    ),
)


def _iwslt(split: str, lang: str, sha256: str, content_sha256: str) -> DataFile:
    name = f"{split}.de-en.{lang}"
    return _mt_file(f"{name}.gz", sha256, content_sha256, url=f"{_IWSLT}/{name}")


_IWSLT14 = (
    _iwslt(
        "test",
        "de",
        "cc0cda8676ae4f4227df68479636d0d8dbde9d7b2c0de14aba7de412efaa3f5d",
        "b899a137e81dc3e3c34f5a2cf16c09880ab33b8d22252483ff9c049b2a34e203",
    ),
    _iwslt(
        "test",
        "en",
        "ea26c2c9a15278a0929fa6ba67626cc7c248527d99d554f3bf8422da89f30127",
        "1685cc2a0c169051b66957d7f56056341161dc4617a849b649e84cdac5b73e24",
    ),
    _iwslt(
        "valid",
        "de",
        "ecf6a9df51de72fc1b797f625ec507ea2a113a5aa8834dbd655cde4e096ede0a",
        "d58e159cedc9227553ab506bf6113b72eb19ee97631c1b7bdcf5a205ce1dda0d",
    ),
    _iwslt(
        "valid",
        "en",
        "0000512f2d68da42a01aa9323760788e3db9365bec4e4ce476a544ae8b1f8e3e",
        "d9d971e784e37316ece31d9d8e33c2feeaae8543329dfcb8486f07568aea8ce8",
    ),
)

_TATOEBA = (
    _mt_file(
        "tatoeba-test-v2021-08-07.deu.gz",
        "ded3597b18bff490db6828d7be20f7a4b4d1b7b7466f419ecec93f21e3ce1be2",
        "a06d3300c05158e83bb5c1709a0bf5aecc2e28c895e66f03b1c914a7fdd8c8c6",
        url=f"{_OPUS_TATOEBA}/tatoeba-test-v2021-08-07.deu",
    ),
    _mt_file(
        "tatoeba-test-v2021-08-07.eng.gz",
        "172a384938fffbb03c2a84aeac868aa7d960ef5508f2ce790679831a1251b916",
        "5d0e3169914a5e3f4ca7bdec670880f2025385c5a7e29547d9cbd7992105e77f",
        url=f"{_OPUS_TATOEBA}/tatoeba-test-v2021-08-07.eng",
    ),
)

_OPUS_SOURCE = "Helsinki-NLP/OPUS-MT-testsets @ ac0f19c0"

MT_DATASETS = (
    Dataset(
        name="multi30k",
        folder="mt/multi30k",
        description="Multi30k task 1 En-De, raw cased text: train 29,000, val 1,014, test2016/2017/2018",
        licence=_MULTI30K_TERMS,
        source="multi30k/dataset @ a3d2e0d2, data/task1/raw/",
        files=_MULTI30K_FILES,
        splits={s: ({lang: f"{stem}.{lang}.gz" for lang in ("en", "de")},) for s, stem in _MULTI30K_SPLITS.items()},
    ),
    Dataset(
        name="newstest2013",
        folder="mt/wmt_newstest",
        description="WMT newstest2013 De-En (3,000 lines)",
        licence=_WMT_TERMS,
        source=f"{_OPUS_SOURCE}, testsets/de-en/",
        files=_NEWSTEST2013,
        splits={"test": ({"de": _NEWSTEST2013[0].path, "en": _NEWSTEST2013[1].path},)},
    ),
    Dataset(
        name="newstest2014",
        folder="mt/wmt_newstest",
        description="WMT newstest2014 full sets: De-En and En-Fr (3,003 lines each)",
        licence=_WMT_TERMS,
        source=f"{_OPUS_SOURCE}, testsets/de-en/ and testsets/en-fr/",
        files=_NEWSTEST2014,
        splits={
            "test": (
                {"de": _NEWSTEST2014[0].path, "en": _NEWSTEST2014[1].path},
                {"en": _NEWSTEST2014[2].path, "fr": _NEWSTEST2014[3].path},
            )
        },
    ),
    Dataset(
        name="newstest2019",
        folder="mt/wmt_newstest",
        description="WMT newstest2019 En-De (1,997 lines)",
        licence=_WMT_TERMS,
        source=f"{_OPUS_SOURCE}, testsets/en-de/",
        files=_NEWSTEST2019,
        splits={"test": ({"de": _NEWSTEST2019[0].path, "en": _NEWSTEST2019[1].path},)},
    ),
    Dataset(
        name="iwslt14",
        folder="mt/iwslt14_deen",
        description="IWSLT'14 De-En test (6,750) and valid (6,969), lowercased Moses-tokenised (MIXER prep)",
        licence="CC BY-NC-ND 4.0 (TED talks via WIT3)",
        source="pcyin/pytorch_nmt @ bf28dae8, data/",
        files=_IWSLT14,
        splits={split: ({lang: f"{split}.de-en.{lang}.gz" for lang in ("de", "en")},) for split in ("test", "valid")},
    ),
    Dataset(
        name="tatoeba",
        folder="mt/tatoeba_deu_eng",
        description="Tatoeba De-En test v2021-08-07 (17,565 pairs)",
        licence="CC BY 2.0 FR (Tatoeba sentences)",
        source=f"{_OPUS_SOURCE}, datasets/helsinki_nlp/tatoeba/testsets/deu-eng/",
        files=_TATOEBA,
        splits={"test": ({"de": _TATOEBA[0].path, "en": _TATOEBA[1].path},)},
    ),
)
