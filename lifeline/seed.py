"""The deterministic demo registry: Qingdao's gas channels, heating enterprises and meters.

:func:`generate_registry` builds the same :class:`~lifeline.core.registry.Registry` for the
same ``(seed, meters)`` on every machine with the same Python minor version (it draws
from one ``random.Random(seed)``), so simulators, tests and a fresh database agree on
ids, owners and places. Pure: no I/O.

What it makes (figures from the customer report in the domain notes):

- gas utilities (``gas-*``), each serving a set of districts, plus one ``heat-NNN``
  account per heating enterprise;
- 525 gas-leak alarm channels ``GAS-0001`` … weighted to the urban districts, at
  kitchens, restaurants, valve wells, manholes of other utilities and regulator stations;
- 134 heating enterprises ``HEAT-001`` … with 2–30 stations each, 1,500 in all;
- ``meters`` household smart gas meters ``MTR-00000001`` …

Names, roads and compounds are invented but plausible; coordinates are jittered a few
km around the district centres in :data:`DISTRICTS`.
"""

from __future__ import annotations

import math
import random
from typing import Final

from lifeline.core.registry import Channel, Enterprise, Meter, Registry, Station, Utility

__all__ = [
    "CHANNEL_COUNT",
    "DISTRICTS",
    "ENTERPRISE_COUNT",
    "GAS_UTILITIES",
    "SITE_TYPES",
    "STATION_TOTAL",
    "generate_registry",
]

CHANNEL_COUNT: Final = 525
ENTERPRISE_COUNT: Final = 134
STATION_TOTAL: Final = 1500
MIN_STATIONS: Final = 2
MAX_STATIONS: Final = 30

# District -> approximate centre (lat, lon), from domain.md.
DISTRICTS: Final[dict[str, tuple[float, float]]] = {
    "市南": (36.07, 120.38),
    "市北": (36.09, 120.37),
    "李沧": (36.15, 120.43),
    "崂山": (36.11, 120.47),
    "城阳": (36.31, 120.40),
    "黄岛": (35.96, 120.20),
    "即墨": (36.39, 120.45),
    "胶州": (36.28, 120.03),
    "平度": (36.78, 119.96),
    "莱西": (36.89, 120.52),
}

# How a district is written in an address (county-level cities are 市, the rest 区).
_DISTRICT_SUFFIX: Final[dict[str, str]] = {
    "市南": "区",
    "市北": "区",
    "李沧": "区",
    "崂山": "区",
    "城阳": "区",
    "黄岛": "区",
    "即墨": "区",
    "胶州": "市",
    "平度": "市",
    "莱西": "市",
}

# Relative weights: where gas alarm points, heating enterprises and meters are.
_CHANNEL_WEIGHTS: Final[dict[str, float]] = {
    "市南": 16, "市北": 18, "李沧": 13, "崂山": 12, "城阳": 10,
    "黄岛": 12, "即墨": 7, "胶州": 5, "平度": 4, "莱西": 3,
}  # fmt: skip
_ENTERPRISE_WEIGHTS: Final[dict[str, float]] = {
    "市南": 10, "市北": 13, "李沧": 11, "崂山": 10, "城阳": 12,
    "黄岛": 15, "即墨": 10, "胶州": 8, "平度": 6, "莱西": 5,
}  # fmt: skip
_METER_WEIGHTS: Final[dict[str, float]] = {
    "市南": 12, "市北": 17, "李沧": 12, "崂山": 10, "城阳": 11,
    "黄岛": 16, "即墨": 9, "胶州": 6, "平度": 4, "莱西": 3,
}  # fmt: skip

# Gas utilities: id, name, and the districts each serves with a share (illustrative).
GAS_UTILITIES: Final[tuple[Utility, ...]] = (
    Utility("gas-qdenergy", "青岛能源燃气", "gas"),
    Utility("gas-ganghua", "港华燃气", "gas"),
    Utility("gas-huarun", "华润燃气", "gas"),
    Utility("gas-xinao", "新奥燃气", "gas"),
    Utility("gas-zhongran", "中国燃气", "gas"),
)
_GAS_OWNERS: Final[dict[str, tuple[tuple[str, float], ...]]] = {
    "市南": (("gas-qdenergy", 0.6), ("gas-ganghua", 0.4)),
    "市北": (("gas-qdenergy", 0.6), ("gas-ganghua", 0.4)),
    "李沧": (("gas-qdenergy", 0.5), ("gas-ganghua", 0.5)),
    "崂山": (("gas-ganghua", 0.7), ("gas-qdenergy", 0.3)),
    "城阳": (("gas-ganghua", 0.6), ("gas-zhongran", 0.4)),
    "黄岛": (("gas-huarun", 0.8), ("gas-qdenergy", 0.2)),
    "即墨": (("gas-xinao", 1.0),),
    "胶州": (("gas-xinao", 0.7), ("gas-zhongran", 0.3)),
    "平度": (("gas-zhongran", 1.0),),
    "莱西": (("gas-huarun", 1.0),),
}

SITE_TYPES: Final[dict[str, float]] = {
    "kitchen": 0.40,
    "restaurant": 0.30,
    "valve_well": 0.15,
    "utility_manhole": 0.10,
    "regulator_station": 0.05,
}

_ROADS: Final[dict[str, tuple[str, ...]]] = {
    "市南": ("香港中路", "南京路", "延安三路", "山东路", "东海西路", "闽江路", "宁夏路"),
    "市北": ("辽宁路", "台东一路", "延吉路", "敦化路", "重庆南路", "抚顺路", "鞍山路"),
    "李沧": ("京口路", "九水路", "书院路", "金水路", "永平路", "四流中路", "青山路"),
    "崂山": ("香港东路", "海尔路", "深圳路", "松岭路", "株洲路", "秦岭路", "同安路"),
    "城阳": ("正阳路", "长城路", "春阳路", "黑龙江中路", "文阳路", "崇阳路"),
    "黄岛": ("长江中路", "井冈山路", "珠江路", "峨眉山路", "紫金山路", "嘉陵江路"),
    "即墨": ("蓝鳌路", "鹤山路", "振华街", "烟青路", "嵩山二路", "青威路"),
    "胶州": ("扬州路", "常州路", "广州北路", "兰州东路", "福州南路", "郑州路"),
    "平度": ("红旗路", "人民路", "杭州路", "北京路", "青岛路", "胶莱路"),
    "莱西": ("烟台路", "威海路", "石岛路", "上海路", "长岛路", "文化路"),
}
_COMPOUND_HEADS: Final = (
    "海信", "万科", "鲁商", "中海", "保利", "金茂", "绿城", "海尔", "福瑞", "瑞源",
    "丽景", "锦绣", "阳光", "海韵", "泰和", "天泰", "新都", "颐和", "和达", "金色",
)  # fmt: skip
_COMPOUND_TAILS: Final = ("花园", "小区", "家园", "名苑", "新城", "嘉园", "华庭", "公寓")
_RESTAURANTS: Final = (
    "鲅鱼水饺馆", "海鲜大排档", "啤酒屋", "家常菜馆", "烧烤店", "面馆", "快餐店",
    "酒店", "职工食堂", "学校食堂", "火锅店", "茶餐厅",
)  # fmt: skip
_MANHOLES: Final = ("电力", "通信", "雨水", "污水", "热力", "供水")
_HEAT_WORDS: Final = (
    "海润", "华能", "泰能", "顺安", "恒源", "瑞丰", "海晶", "鑫源", "惠民", "安泰",
    "华通", "德源", "宏达", "中海", "昌盛", "金海", "东方", "瑞昌", "海湾", "佳源",
    "益民", "新奥", "汇鑫", "晟达", "永安", "广源", "国信", "海汇", "崂泉", "金诚",
    "胶东", "润泽", "万和", "建兴", "信诚", "开元", "同和", "裕丰", "鸿泰", "嘉和",
)  # fmt: skip
_HEAT_SUFFIXES: Final = ("热力有限公司", "供热有限公司", "热电有限公司", "能源有限公司")

_KM_PER_DEG_LAT: Final = 111.0


def generate_registry(seed: int = 20230701, meters: int = 10_000) -> Registry:
    """The demo registry for ``seed``: same inputs, same registry, on every machine."""
    if meters < 0:
        raise ValueError("meters must be >= 0")
    rng = random.Random(seed)
    compounds = [h + t for h in _COMPOUND_HEADS for t in _COMPOUND_TAILS]
    channels = _channels(rng, compounds)
    enterprises, heat_accounts = _enterprises(rng)
    stations = _stations(rng, enterprises, compounds)
    meter_list = _meters(rng, meters, compounds)
    return Registry([*GAS_UTILITIES, *heat_accounts], channels, enterprises, stations, meter_list)


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _place(rng: random.Random, district: str, radius_km: float) -> tuple[float, float]:
    """A point jittered around the district centre (normal, clamped to 2.5 σ)."""
    lat0, lon0 = DISTRICTS[district]
    d_lat = max(-2.5, min(2.5, rng.gauss(0.0, 1.0))) * radius_km / _KM_PER_DEG_LAT
    km_per_deg_lon = _KM_PER_DEG_LAT * math.cos(math.radians(lat0))
    d_lon = max(-2.5, min(2.5, rng.gauss(0.0, 1.0))) * radius_km / km_per_deg_lon
    return round(lat0 + d_lat, 6), round(lon0 + d_lon, 6)


def _near(rng: random.Random, lat: float, lon: float, radius_km: float) -> tuple[float, float]:
    d_lat = rng.uniform(-radius_km, radius_km) / _KM_PER_DEG_LAT
    d_lon = rng.uniform(-radius_km, radius_km) / (_KM_PER_DEG_LAT * math.cos(math.radians(lat)))
    return round(lat + d_lat, 6), round(lon + d_lon, 6)


def _gas_owner(rng: random.Random, district: str) -> str:
    shares = _GAS_OWNERS[district]
    return rng.choices([u for u, _ in shares], weights=[w for _, w in shares])[0]


def _street(rng: random.Random, district: str, road: str | None = None) -> str:
    road = road or rng.choice(_ROADS[district])
    return f"青岛市{district}{_DISTRICT_SUFFIX[district]}{road}{rng.randint(1, 399)}号"


def _channels(rng: random.Random, compounds: list[str]) -> list[Channel]:
    out: list[Channel] = []
    for n in range(1, CHANNEL_COUNT + 1):
        district = _pick(rng, _CHANNEL_WEIGHTS)
        site = _pick(rng, SITE_TYPES)
        road = rng.choice(_ROADS[district])
        address = _street(rng, district, road)
        low = 20.0
        if site == "kitchen":
            building = f"{rng.choice(compounds)}{rng.randint(1, 40)}号楼"
            room = f"{rng.randint(1, 4)}单元{rng.randint(1, 33)}0{rng.randint(1, 4)}室"
            name = f"{building}{room}厨房"
            address = f"{address}{building}{room}"
            low = 15.0 if rng.random() < 0.1 else 20.0
        elif site == "restaurant":
            name = f"{road}{rng.choice(_RESTAURANTS)}后厨"
        elif site == "valve_well":
            name = f"{road}燃气阀门井{rng.randint(1, 60)}号"
        elif site == "utility_manhole":
            name = f"{road}{rng.choice(_MANHOLES)}检查井{rng.randint(1, 120)}号"
        else:
            name = f"{rng.choice(compounds)}区域调压站"
        lat, lon = _place(rng, district, 2.5)
        out.append(
            Channel(
                id=f"GAS-{n:04d}",
                name=name,
                district=district,
                site_type=site,
                address=address,
                lat=lat,
                lon=lon,
                owner=_gas_owner(rng, district),
                low_pct=low,
                high_pct=50.0,
            )
        )
    return out


def _enterprises(rng: random.Random) -> tuple[list[Enterprise], list[Utility]]:
    names = rng.sample(
        [f"青岛{w}{s}" for w in _HEAT_WORDS for s in _HEAT_SUFFIXES], ENTERPRISE_COUNT
    )
    enterprises: list[Enterprise] = []
    accounts: list[Utility] = []
    for n, name in enumerate(names, start=1):
        district = _pick(rng, _ENTERPRISE_WEIGHTS)
        lat, lon = _place(rng, district, 3.0)
        account = Utility(f"heat-{n:03d}", name, "heating")
        accounts.append(account)
        enterprises.append(Enterprise(f"HEAT-{n:03d}", name, district, account.id, lat, lon))
    return enterprises, accounts


def _station_counts(rng: random.Random) -> list[int]:
    """Stations per enterprise: skewed (many small, a few large), 2..30, summing to 1,500."""
    counts = [
        max(MIN_STATIONS, min(MAX_STATIONS, round(rng.lognormvariate(2.25, 0.6))))
        for _ in range(ENTERPRISE_COUNT)
    ]
    while (total := sum(counts)) != STATION_TOTAL:
        i = rng.randrange(ENTERPRISE_COUNT)
        if total < STATION_TOTAL and counts[i] < MAX_STATIONS:
            counts[i] += 1
        elif total > STATION_TOTAL and counts[i] > MIN_STATIONS:
            counts[i] -= 1
    return counts


def _stations(
    rng: random.Random, enterprises: list[Enterprise], compounds: list[str]
) -> list[Station]:
    out: list[Station] = []
    for enterprise, count in zip(enterprises, _station_counts(rng), strict=True):
        for k in range(1, count + 1):
            lat, lon = _near(rng, enterprise.lat, enterprise.lon, 2.0)
            out.append(
                Station(
                    id=f"{enterprise.id}-S{k:02d}",
                    enterprise_id=enterprise.id,
                    name=f"{rng.choice(compounds)}{k}号换热站",
                    district=enterprise.district,
                    lat=lat,
                    lon=lon,
                    # One station heats roughly 30,000-200,000 m² (estimate).
                    area_m2=float(round(rng.uniform(30_000, 200_000), -2)),
                )
            )
    return out


def _meters(rng: random.Random, count: int, compounds: list[str]) -> list[Meter]:
    districts = list(_METER_WEIGHTS)
    drawn = rng.choices(districts, weights=list(_METER_WEIGHTS.values()), k=count)
    out: list[Meter] = []
    for n, district in enumerate(drawn, start=1):
        address = (
            f"{_street(rng, district)}{rng.choice(compounds)}{rng.randint(1, 40)}号楼"
            f"{rng.randint(1, 4)}单元{rng.randint(1, 33)}0{rng.randint(1, 4)}室"
        )
        lat, lon = _place(rng, district, 3.0)
        out.append(
            Meter(
                id=f"MTR-{n:08d}",
                owner=_gas_owner(rng, district),
                district=district,
                address=address,
                lat=lat,
                lon=lon,
                model="G2.5" if rng.random() < 0.15 else "G1.6",
            )
        )
    return out
