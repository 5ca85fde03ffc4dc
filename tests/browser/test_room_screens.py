"""Issue 16 in the browser, in zh-CN and in English, each from an empty browser logged in
through the form: the map shows Qingdao's districts with every source on it; every
screen (wall, grouped alerts and tiles, search, detail panels with chart and incident
timeline, the crew card) shows names, units and texts of its language and never a raw
key or id; the detail panel minimises without losing its state; no page reloads."""

from __future__ import annotations

import asyncio
import math
import re
from typing import Any

import httpx
import pytest
from playwright.async_api import Page

from lifeline.core.topics import station_topic
from tests.browser.city import REGISTRY, gas, gas_event, publish_many
from tests.browser.conftest import CREW, SCREENSHOTS, Browsing
from tests.e2e.stack import Stack, eventually, now_ms

QINGDAO = {
    "市南区",
    "市北区",
    "李沧区",
    "崂山区",
    "城阳区",
    "黄岛区",
    "即墨市",
    "胶州市",
    "平度市",
    "莱西市",
}
LEAK, FAULT, STATION, STATION_2 = "GAS-0400", "GAS-0401", "HEAT-010-S01", "HEAT-011-S01"

# a raw dictionary key, a snake_case id (rule, metric, state ...), a utility id
RAW_KEY = re.compile(
    r"\b(?:rule|metric|severity|state|kind|src|cause|notify|detail|action|alert|alerts|crew|kpi|"
    r"ent|map|grid|login|msg|tl|dur|group|filter|search|district|site|live|counters)\.[a-z_]\w*"
)
SNAKE_ID = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
OWNER_ID = re.compile(r"\b(?:gas|heat)-[a-z0-9]+\b")
# the engine's English message templates (alerts/default_rules.yaml) on a Chinese screen
ENGINE_ENGLISH = re.compile(r"alarm level|no data for|detector fault|supply pressure|stuck at")

# Every text a person can read: visible text, titles, placeholders, options, and the
# names and labels inside the ECharts canvases (axis, series, data and mark lines).
_SCREEN_TEXT = """() => {
  const out = [document.body.innerText];
  for (const e of document.querySelectorAll('[title],[placeholder],[aria-label]')) {
    out.push(e.getAttribute('title') || '', e.getAttribute('placeholder') || '',
      e.getAttribute('aria-label') || '');
  }
  for (const o of document.querySelectorAll('option')) out.push(o.textContent);
  for (const dom of document.querySelectorAll('[_echarts_instance_]')) {
    const opt = echarts.getInstanceByDom(dom)?.getOption();
    if (!opt) continue;
    for (const axis of [...(opt.xAxis || []), ...(opt.yAxis || [])]) out.push(axis.name || '');
    for (const title of opt.title || []) out.push(title.text || '');
    for (const s of opt.series || []) {
      out.push(s.name || '');
      for (const d of s.data || []) if (d && typeof d === 'object' && d.name) out.push(d.name);
      for (const m of (s.markLine && s.markLine.data) || []) {
        const f = m.label && m.label.formatter; if (typeof f === 'string') out.push(f);
      }
    }
  }
  return out.join('\\n');
}"""

# The district names as drawn: their screen rectangles (null: not drawn, e.g. hidden on
# overlap), from the label elements ECharts laid out.
_LABEL_RECTS = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById('map'));
  const series = chart.getModel().getSeries().find((s) => s.id === 'districts');
  const data = series.getData();
  const rects = [];
  for (let i = 0; i < data.count(); i++) {
    const item = data.getItemGraphicEl(i); // a symbol group: its path carries the label
    const label = (item?.childAt ? item.childAt(0) : item)?.getTextContent();
    if (!label || label.ignore || label.invisible) { rects.push(null); continue; }
    const r = label.getBoundingRect().clone();
    r.applyTransform(label.getComputedTransform());
    rects.push([r.x, r.y, r.width, r.height]);
  }
  return rects;
}"""

_MAP = """() => {
  const dom = document.getElementById('map');
  const chart = echarts.getInstanceByDom(dom);
  const at = (p) => chart.convertToPixel({geoIndex: 0}, p);
  const a = at([120.3, 36.2]), east = at([120.4, 36.2]), north = at([120.3, 36.3]);
  const labels = chart.getOption().series.find((s) => s.id === 'districts').data.map((d) => d.name);
  return {
    map: chart.getOption().geo[0].map,
    features: echarts.getMap('青岛').geoJSON.features.map((f) => f.properties.name),
    ratio: (east[0] - a[0]) / (a[1] - north[1]),
    points: Number(dom.dataset.points), clusters: Number(dom.dataset.clusters), labels,
  };
}"""


async def _screen_is_clean(page: Page, lang: str, where: str) -> None:
    text = await page.evaluate(_SCREEN_TEXT)
    found = RAW_KEY.findall(text) + SNAKE_ID.findall(text) + OWNER_ID.findall(text)
    if lang == "zh-CN":
        found += ENGINE_ENGLISH.findall(text)
    assert found == [], f"{where} ({lang}) shows raw keys or ids: {sorted(set(found))}"


async def _open_alert(api: httpx.AsyncClient, source_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        got = await api.get("/api/v1/alerts", params={"source_id": source_id, "open": True})
        items: list[dict[str, Any]] = got.json()["items"]
        return items[0] if items else None

    return await eventually(probe, timeout_s=10.0)


async def _incidents(city: Stack, api: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """A leak (acked, assigned), a detector fault, two stations low on pressure (MPa)."""
    ts = now_ms()
    low = {"primary_supply_pressure_mpa": 0.3, "indoor_temp_c": 20.0}
    low_2 = {"secondary_supply_pressure_mpa": 0.15, "indoor_temp_c": 20.0}
    s1, s2 = REGISTRY.stations[STATION], REGISTRY.stations[STATION_2]
    await publish_many(
        city,
        [
            gas(LEAK, 63.0, ts),
            gas_event(FAULT, "fault", ts),
            (station_topic(s1.enterprise_id, s1.id), {"ts": ts, **low}),
            (station_topic(s1.enterprise_id, s1.id), {"ts": ts + 16_000, **low}),
            (station_topic(s2.enterprise_id, s2.id), {"ts": ts, **low_2}),
            (station_topic(s2.enterprise_id, s2.id), {"ts": ts + 16_000, **low_2}),
        ],
    )
    found = {s: await _open_alert(api, s) for s in (LEAK, FAULT, STATION, STATION_2)}
    leak, station = found[LEAK], found[STATION]
    if leak["state"] == "active_unacked":  # the first language's run did it already
        await api.post(f"/api/v1/alerts/{leak['id']}/ack", json={"note": "已通知用户开窗"})
        await api.post(f"/api/v1/alerts/{leak['id']}/assign", json={"assignee": "crew-03"})
    if station["assigned_to"] != "crew-01":
        await api.post(f"/api/v1/alerts/{station['id']}/assign", json={"assignee": "crew-01"})
    return found


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_every_screen_speaks_its_language_and_the_map_is_qingdao(
    browsing: Browsing, city: Stack, api: httpx.AsyncClient, lang: str
) -> None:
    alerts = await _incidents(city, api)
    page = await browsing.page("/")
    await page.evaluate("window.__sameDocument = true")
    if lang == "en":
        await page.click("#lang")
        await page.wait_for_function("() => document.documentElement.lang === 'en'")
    await page.wait_for_selector(f'.alert-row[data-source="{STATION}"]', timeout=10_000)
    sources = len(REGISTRY.channels) + len(REGISTRY.enterprises)
    await page.wait_for_function(
        f"() => document.getElementById('map').dataset.points === '{sources}'"
    )

    # the map: Qingdao's ten districts, every channel and enterprise on it, 36° N aspect
    shown = await page.evaluate(_MAP)
    assert shown["map"] == "青岛"
    assert set(shown["features"]) == QINGDAO
    assert shown["points"] == sources
    assert shown["clusters"] > 0, "dense normal sources are clustered at the city zoom"
    assert shown["ratio"] == pytest.approx(math.cos(math.radians(36.3)), rel=0.02)
    names = {"zh-CN": "市南", "en": "Shinan"}[lang]
    assert names in shown["labels"]
    assert len(shown["labels"]) == 10
    rects = await page.evaluate(_LABEL_RECTS)
    hidden = [name for name, rect in zip(shown["labels"], rects, strict=True) if rect is None]
    assert hidden == [], "every district is named"
    for i, (x, y, w, h) in enumerate(rects):
        for x2, y2, w2, h2 in rects[i + 1 :]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y, "names overlap"
    await _screen_is_clean(page, lang, "wall")

    # the alert texts are built in the page, with the metric's name, unit and decimals
    row = page.locator(f'.alert-row[data-source="{STATION}"] .msg')
    expected = {"zh-CN": "一次供水压力 0.30 MPa，低于报警值 0.40 MPa", "en": "0.30 MPa, below"}
    assert expected[lang] in await row.inner_text()

    # grouped alerts, by source and by rule, a group opened
    await page.select_option("#alert-group", "rule")
    group = page.locator('.alert-group[data-key="gas_leak"]')
    await group.click()
    await page.wait_for_selector('.alert-group[data-key="gas_leak"][aria-expanded=true]')
    await _screen_is_clean(page, lang, "alerts by rule")
    await page.select_option("#alert-group", "source")
    await page.wait_for_selector(f'.alert-group[data-key="{LEAK}"]')
    await _screen_is_clean(page, lang, "alerts by source")
    await page.select_option("#alert-group", "none")

    # tiles grouped by gas company and by site type, filtered to the alarms
    for grouping in ("owner", "site_type", "district"):
        await page.select_option("#grid-group", grouping)
        await _screen_is_clean(page, lang, f"tiles by {grouping}")
    await page.click('#grid-legend button[data-state="alarm"]')
    assert await page.locator(f'.tile[data-id="{LEAK}"]').is_visible()
    assert not await page.locator('.tile[data-state="normal"]').first.is_visible()
    await page.click('#grid-legend button[data-state=""]')

    # search by address words, then open the hit
    channel = REGISTRY.channels[LEAK]
    await page.fill("#search", channel.address.removeprefix("青岛市"))
    hit = page.locator(f'.hit[data-id="{LEAK}"]')
    await hit.wait_for(timeout=10_000)
    await _screen_is_clean(page, lang, "search")
    await hit.click()
    await page.wait_for_selector(f'#detail-title:has-text("{LEAK}")')
    await page.wait_for_selector("#detail-chart canvas")
    card = page.locator(f'.detail-alert[data-id="{alerts[LEAK]["id"]}"]')
    await card.locator("details.timeline summary").click()
    steps = card.locator(".tl-step.done")
    await steps.nth(3).wait_for(timeout=10_000)  # raise, notify (the duty webhook), ack, assign
    done = await card.locator(".tl-step.done").evaluate_all("els => els.map(e => e.dataset.stage)")
    assert {"raise", "ack", "assign"} <= set(done)
    assert "crew-03" in await card.locator(".tl-list").inner_text()
    await _screen_is_clean(page, lang, "channel detail with its timeline")

    # the panel covers the map only: the KPIs, enterprises, tiles and alerts stay usable
    for panel in (".kpi-panel", ".ent-panel", ".grid-panel", ".alerts-panel"):
        box = await page.locator(panel).bounding_box()
        assert box is not None
        assert await page.evaluate(
            "([x, y]) => !document.getElementById('detail')"
            ".contains(document.elementFromPoint(x, y))",
            [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
        ), f"the detail panel hides {panel}"
    note = card.locator("textarea.note")
    await note.fill("半写的处置说明")
    await page.click("#detail-min")
    await page.wait_for_selector("#detail", state="hidden")
    await page.click("#detail-tab")
    assert await note.input_value() == "半写的处置说明", "minimising keeps the panel's state"

    # a station: its metrics by name in the picker and on the chart
    await page.click(f'.alert-row[data-source="{STATION}"]')
    await page.wait_for_selector(f'#detail-title:has-text("{STATION}")')
    await page.wait_for_selector("#detail-chart canvas")
    await _screen_is_clean(page, lang, "station detail")
    if lang == "zh-CN":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.click("#detail-min")
        await asyncio.sleep(0.6)
        await page.screenshot(path=str(SCREENSHOTS / "control-room-map.png"))
        await page.click("#detail-tab")

    # an enterprise from the table (every one reachable: the table scrolls)
    assert await page.locator("#enterprises tbody tr").count() == len(REGISTRY.enterprises)
    last = page.locator("#enterprises tbody tr").last
    await last.scroll_into_view_if_needed()
    await last.click()
    await page.wait_for_selector("#detail .stations button")
    await _screen_is_clean(page, lang, "enterprise detail")

    # a map click opens the source under it
    await page.click("#detail-close")
    position = await page.evaluate(
        """(id) => {
          const chart = echarts.getInstanceByDom(document.getElementById('map'));
          const s = chart.getOption().series.find((x) => x.data.some((d) => d.id === id));
          const d = s.data.find((x) => x.id === id);
          return chart.convertToPixel({geoIndex: 0}, d.value);
        }""",
        LEAK,
    )
    await page.locator("#map").click(position={"x": position[0], "y": position[1]})
    await page.wait_for_selector(f'#detail-title:has-text("{LEAK}")', timeout=10_000)

    assert await page.evaluate("window.__sameDocument") is True, "no reload"
    assert browsing.loads[page] == 1
    assert browsing.errors == []


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_the_crew_card_shows_the_value_with_its_unit_in_its_language(
    browsing: Browsing, city: Stack, api: httpx.AsyncClient, lang: str
) -> None:
    alerts = await _incidents(city, api)
    page = await browsing.page("/crew", width=390, height=844, mobile=True, login=CREW)
    if lang == "en":
        await page.click("#lang")
    card = page.locator(f'.incident[data-id="{alerts[STATION]["id"]}"]')
    await card.wait_for(timeout=10_000)
    text = await card.inner_text()
    expected = {
        "zh-CN": ("一次供水压力 0.30 MPa", "一次供压偏低"),
        "en": ("0.30 MPa", "Primary pressure low"),
    }
    for part in expected[lang]:
        assert part in text
    assert "数值" not in text
    assert "Value" not in text
    await _screen_is_clean(page, lang, "crew card")
    assert browsing.loads[page] == 1
    assert browsing.errors == []
