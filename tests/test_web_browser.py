"""The page in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; no browser download):
run a built-in and see its plot and findings, change a dose and see the curve move, a bad value's error next to its
field, labs read on the assess page, a phone-width page. Skipped when playwright or /usr/bin/chromium is absent.
Writes the README's screenshots, docs/img/web_run.png and docs/img/web_assess.png."""

import os
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)", allow_module_level=True)

from lytes.result import NOTICE  # noqa: E402
from lytes.web import create_app  # noqa: E402

IMG = Path(__file__).resolve().parents[1] / "docs" / "img"


@pytest.fixture(scope="module")
def server():
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def curve_max(page, plot_id: str, trace: str = "main") -> float:
    return page.evaluate(
        """([id, name]) => {
            const d = document.getElementById(id).data.find(t => t.name === name && t.mode === 'lines');
            return Math.max(...d.y.filter(v => v !== null));
        }""",
        [plot_id, trace],
    )


def load_and_run(page, server: str, builtin: str) -> None:
    page.goto(server + "/")
    page.select_option("#builtin", builtin)
    page.click("#load-builtin")
    page.wait_for_selector("#loaded")
    page.click("#run")
    page.wait_for_selector("#plot-Mg_serum[data-drawn='1']")


def test_run_a_builtin_see_plot_and_findings_then_change_a_dose(page, server):
    load_and_run(page, server, "mgso4_renal_impairment")
    assert NOTICE in page.inner_text("#notice")
    assert page.locator("#plot-Mg_serum .main-svg").count() >= 1  # plotly drew it
    findings = page.inner_text("#findings")
    assert "hypermagnesaemia" in findings and "urgent" in findings.lower()
    assert "mmol/L" in page.inner_text("#summary")
    before = curve_max(page, "plot-Mg_serum")
    assert 3.0 < before < 6.0
    page.evaluate("document.getElementById('results-h').scrollIntoView()")
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / "web_run.png"))
    # halve the maintenance infusion: the Mg curve comes down
    assert page.input_value("#iv-1-rate") == "2 g/h"
    page.fill("#iv-1-rate", "1 g/h")
    page.click("#run")
    page.wait_for_function(
        "m => { const e = document.getElementById('plot-Mg_serum'); if (!e || !e.data) return false;"
        " const d = e.data.find(t => t.name === 'main' && t.mode === 'lines');"
        " return d && Math.abs(Math.max(...d.y) - m) > 0.05; }",
        arg=before,
    )
    after = curve_max(page, "plot-Mg_serum")
    assert after < before - 0.5


def test_arms_are_overlaid(page, server):
    load_and_run(page, server, "refractory_hypokalemia")
    names = page.evaluate(
        "() => document.getElementById('plot-K_serum').data.filter(t => t.mode === 'lines').map(t => t.name)"
    )
    assert names == ["K_alone", "Mg_first", "Mg_and_K", "Mg_alone"]


def test_bad_value_shows_the_error_next_to_its_field(page, server):
    page.goto(server + "/")
    page.fill("#iv-0-at", "0 h")
    page.fill("#iv-0-give", "MgSO4")
    page.select_option("#iv-0-route", "iv")
    page.fill("#iv-0-dose", "4 kg")
    page.fill("#iv-0-over", "20 min")
    page.click("#run")
    page.wait_for_selector("#run-error")
    page.wait_for_function("() => document.getElementById('err-iv-0-dose').textContent.length > 0")
    error = page.inner_text("#err-iv-0-dose")
    assert error.startswith("interventions[0].dose: '4 kg' is not allowed")
    assert page.get_attribute("#iv-0-dose", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "iv-0-dose"
    # a field of the patient too
    page.fill("#iv-0-dose", "4 g")
    page.fill("#patient_weight", "-3")
    page.click("#run")
    page.wait_for_function("() => document.getElementById('err-patient_weight').textContent.length > 0")
    assert "patient.weight" in page.inner_text("#err-patient_weight")
    assert page.inner_text("#err-iv-0-dose") == ""


def test_assess_page_reads_labs(page, server):
    page.goto(server + "/assess")
    assert NOTICE in page.inner_text("#notice")
    page.fill("#lab_K", "2.9")
    page.fill("#lab_Mg", "1.1")
    page.select_option("#lab_Mg_unit", "mg/dL")
    page.fill("#age", "70")
    page.fill("#meds", "furosemide")
    page.click("#assess-run")
    page.wait_for_selector("#assess-findings")
    text = page.inner_text("#assess-findings")
    assert "hypokal" in text.lower() and "hypomagnes" in text.lower()
    assert "Mg 0.453 mmol/L" in page.inner_text("#labs-read")  # 1.1 mg/dL read as 0.45 mmol/L
    page.evaluate("document.getElementById('assess-results').scrollIntoView()")
    page.screenshot(path=str(IMG / "web_assess.png"))
    page.fill("#lab_K", "45")
    page.click("#assess-run")
    page.wait_for_selector("#assess-error")
    page.wait_for_function("() => document.getElementById('err-lab_K').textContent.length > 0")
    assert "lab K" in page.inner_text("#err-lab_K")


def test_phone_width_and_keyboard(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    pg = context.new_page()
    pg.goto(server + "/")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 391  # nothing wider than the phone
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.className") == "skip"
    unlabelled = pg.evaluate(
        "() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
        ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.id || e.name)"
    )
    assert unlabelled == []
    context.close()


def test_enter_in_a_field_runs_the_form_and_downloads_hold_it(page, server):
    page.goto(server + "/")
    page.fill("#name", "typed here")
    page.fill("#duration", "6 h")
    page.press("#duration", "Enter")
    page.wait_for_selector("#results-h")
    assert page.inner_text("#results-h").startswith("typed here")
    assert page.input_value("#source") == "form"
    downloaded = page.evaluate(
        "() => fetch('/ui/download/yaml', {method: 'POST', body: new FormData(document.getElementById('scenario-form'))})"
        ".then(r => r.text())"
    )
    assert "name: typed here" in downloaded and "duration: 6 h" in downloaded


def test_two_arms_from_a_fresh_form_with_the_keyboard(page, server):
    page.goto(server + "/")
    page.fill("#duration", "6 h")
    page.focus("button[data-add=arm]")
    page.keyboard.press("Enter")  # a second arm slot
    assert page.evaluate("document.activeElement.id") == "arm-1-name"
    page.focus("button[data-add=med]")
    page.keyboard.press("Space")
    assert page.locator("#med-1-drug").count() == 1
    page.click("button[data-into=arm-1-ivs]")  # a third dose row in arm 2
    assert page.locator("#arm-1-iv-2-give").count() == 1
    for j, (name, dose) in enumerate([("low", "2 g"), ("high", "6 g")]):
        page.fill(f"#arm-{j}-name", name)
        page.fill(f"#arm-{j}-iv-0-at", "0 h")
        page.fill(f"#arm-{j}-iv-0-give", "MgSO4")
        page.select_option(f"#arm-{j}-iv-0-route", "iv")
        page.fill(f"#arm-{j}-iv-0-dose", dose)
        page.fill(f"#arm-{j}-iv-0-over", "20 min")
    page.click("#run")
    page.wait_for_selector("#plot-Mg_serum[data-drawn='1']")
    names = page.evaluate(
        "() => document.getElementById('plot-Mg_serum').data.filter(t => t.mode === 'lines').map(t => t.name)"
    )
    assert names == ["low", "high"]
    assert curve_max(page, "plot-Mg_serum", "high") > curve_max(page, "plot-Mg_serum", "low") + 0.2


def test_editing_a_loaded_builtin_drops_its_description_and_sources(page, server):
    page.goto(server + "/")
    page.select_option("#builtin", "mgso4_preeclampsia")
    page.click("#load-builtin")
    page.wait_for_selector("#loaded")
    assert page.input_value("#description") and page.input_value("#sources")
    page.fill("#patient_weight", "90")
    assert page.input_value("#description") == "" and page.input_value("#sources") == ""


def test_assess_options_table_fits_at_1280(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    pg.goto(server + "/assess")
    pg.fill("#lab_K", "2.9")
    pg.fill("#lab_Mg", "0.45")
    pg.check("#simulate")
    pg.click("#assess-run")
    pg.wait_for_selector("#options")
    wrap = pg.evaluate(
        "() => { const w = document.getElementById('options').parentElement; return [w.scrollWidth, w.clientWidth]; }"
    )
    assert wrap[0] <= wrap[1], wrap  # the K/Mg columns are in view without scrolling sideways
    context.close()


def test_validation_page_at_phone_width(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    pg = context.new_page()
    pg.goto(server + "/validation")
    assert pg.evaluate("document.documentElement.scrollWidth") <= 391
    boxes = pg.evaluate(
        "() => [...document.querySelectorAll('table')].map(t => getComputedStyle(t.parentElement).overflowX)"
    )
    assert boxes and set(boxes) == {"auto"}
    context.close()
