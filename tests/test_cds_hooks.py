"""The CDS Hooks service: discovery, patient-view cards from prefetched FHIR R4 resources, and order-select for IV
MgSO4 or KCl with the simulated course in the card (CDS Hooks 2.0: summary < 140 characters, indicator, source)."""

import warnings

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

with warnings.catch_warnings():  # starlette's TestClient warns when it is used with httpx rather than httpx2
    warnings.simplefilter("ignore")  # (StarletteDeprecationWarning: install httpx2)
    from fastapi.testclient import TestClient

from lytes.result import NOTICE  # noqa: E402
from lytes.web import create_app  # noqa: E402

LOINC = "http://loinc.org"


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


def obs(code: str, value: float, unit: str, when: str = "2024-05-01T08:00:00Z") -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
    }


def bundle(*resources) -> dict:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def med(text: str, rid: str = "m1", status: str = "active", **extra) -> dict:
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": {"text": text},
    } | extra


PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1955-03-01"}


def request(hook: str, labs=(), meds=(), conditions=(), context=None) -> dict:
    return {
        "hook": hook,
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/1", "patientId": "p1"} | (context or {}),
        "prefetch": {
            "patient": PATIENT,
            "labs": bundle(*labs),
            "medications": bundle(*meds),
            "conditions": bundle(*conditions),
        },
    }


def check_card(card: dict) -> None:
    """The CDS Hooks 2.0 required fields of a card (uuid is optional, but given here, and unique)."""
    assert isinstance(card["summary"], str) and 0 < len(card["summary"]) < 140  # "fewer than 140 characters"
    assert card["indicator"] in ("info", "warning", "critical")
    assert isinstance(card["source"], dict) and card["source"]["label"]
    assert NOTICE in card["detail"]


def test_discovery_lists_both_hooks_with_prefetch(client):
    r = client.get("/cds-services")
    assert r.status_code == 200
    services = r.json()["services"]
    assert {s["hook"] for s in services} == {"patient-view", "order-select"}
    for s in services:
        assert s["id"] and s["description"]
        assert "Observation?patient={{context.patientId}}" in s["prefetch"]["labs"]
        for code in ("2823-3", "19123-9", "1994-3", "2160-0", "33914-3", "62238-1", "98979-8"):
            assert code in s["prefetch"]["labs"]


def test_normal_labs_give_no_card(client):
    labs = [
        obs("2823-3", 4.2, "mmol/L"),
        obs("2601-3", 0.85, "mmol/L"),
        obs("2000-8", 2.35, "mmol/L"),
        obs("2160-0", 0.9, "mg/dL"),
        obs("62238-1", 92, "mL/min/{1.73_m2}"),
    ]
    r = client.post("/cds-services/lytes-electrolytes", json=request("patient-view", labs))
    assert r.status_code == 200
    assert r.json() == {"cards": []}


def test_high_k_on_propranolol_with_egfr_8_is_critical(client):
    labs = [obs("2823-3", 6.4, "mmol/L"), obs("98979-8", 8, "mL/min/{1.73_m2}")]
    meds = [med("Propranolol 40 mg oral tablet")]
    conditions = [
        {
            "resourceType": "Condition",
            "code": {"text": "Chronic kidney disease stage 5"},
            "clinicalStatus": {"coding": [{"code": "active"}]},
        }
    ]
    r = client.post("/cds-services/lytes-electrolytes", json=request("patient-view", labs, meds, conditions))
    assert r.status_code == 200
    cards = r.json()["cards"]
    assert cards, "a K of 6.4 with an eGFR of 8 gives cards"
    for card in cards:
        check_card(card)
    assert cards[0]["indicator"] == "critical"
    assert "6.4" in cards[0]["summary"]
    assert any("propranolol" in c["summary"].lower() for c in cards)
    assert len({c["uuid"] for c in cards}) == len(cards)


def test_latest_observation_wins_and_units_are_read(client):
    labs = [
        obs("2823-3", 6.6, "mmol/L", "2024-01-01T00:00:00Z"),
        obs("2823-3", 3.0, "mEq/L", "2024-06-01T00:00:00Z"),
        obs("19123-9", 1.1, "mg/dL"),
    ]  # Mg 1.1 mg/dL = 0.45 mmol/L
    cards = client.post("/cds-services/lytes-electrolytes", json=request("patient-view", labs)).json()["cards"]
    text = " ".join(c["summary"] for c in cards)
    assert "K 3.0" in text or "K 3.00" in text
    assert "hypomagnes" in text.lower()


def test_order_select_iv_mgso4_gives_the_simulated_course(client):
    labs = [obs("2823-3", 4.0, "mmol/L"), obs("2601-3", 0.8, "mmol/L"), obs("33914-3", 30, "mL/min/{1.73_m2}")]
    order = med(
        "Magnesium sulfate 4 g IV",
        rid="draft1",
        status="draft",
        dosageInstruction=[
            {
                "route": {"text": "intravenous"},
                "timing": {"repeat": {"duration": 4, "durationUnit": "h"}},
                "doseAndRate": [{"doseQuantity": {"value": 4, "unit": "g"}}],
            }
        ],
    )
    context = {"selections": ["MedicationRequest/draft1"], "draftOrders": bundle(order)}
    url = "/cds-services/lytes-electrolytes-order-select"
    r = client.post(url, json=request("order-select", labs, context=context))
    assert r.status_code == 200
    cards = r.json()["cards"]
    assert cards
    card = cards[0]
    check_card(card)
    assert card["summary"].startswith("Simulated IV MgSO4 4 g over 4 h")
    assert "| 48 h |" in card["detail"] and "Mg (mmol/L)" in card["detail"]


def test_order_select_without_a_dose_says_what_it_assumed(client):
    order = med("Potassium chloride injection", rid="d2", status="draft")
    context = {"selections": ["MedicationRequest/d2"], "draftOrders": bundle(order)}
    cards = client.post(
        "/cds-services/lytes-electrolytes-order-select",
        json=request("order-select", [obs("2823-3", 3.1, "mmol/L")], context=context),
    ).json()["cards"]
    assert cards[0]["summary"].startswith("Simulated IV KCl 20 mmol over 2 h")
    assert "Assumed: 20 mmol (no dose in the order)" in cards[0]["detail"]


def test_order_select_of_another_drug_gives_no_simulation(client):
    order = med("Amoxicillin 500 mg", rid="d3", status="draft")
    context = {"selections": ["MedicationRequest/d3"], "draftOrders": bundle(order)}
    r = client.post("/cds-services/lytes-electrolytes-order-select", json=request("order-select", context=context))
    assert r.json() == {"cards": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"hook": "encounter-start", "context": {}}, "hook"),
        ({"hook": "patient-view", "prefetch": [1]}, "prefetch"),
        (request("order-select"), "hook"),  # each service answers only its own hook
    ],
)
def test_bad_requests_are_one_line_4xx(client, body, field):
    r = client.post("/cds-services/lytes-electrolytes", json=body)
    assert r.status_code == 422
    assert r.json()["field"] == field and "\n" not in r.json()["error"]


def test_unknown_service_is_404(client):
    r = client.post("/cds-services/other", json={"hook": "patient-view"})
    assert r.status_code == 404 and "service" in r.json()["error"]


def test_each_service_answers_only_its_own_hook(client):
    r = client.post("/cds-services/lytes-electrolytes-order-select", json=request("patient-view"))
    assert r.status_code == 422 and r.json()["field"] == "hook" and "order-select" in r.json()["error"]
    r = client.post("/cds-services/lytes-electrolytes", json=request("order-select"))
    assert r.status_code == 422 and r.json()["field"] == "hook" and "patient-view" in r.json()["error"]


def test_summary_is_cut_below_140_characters():
    from lytes.web.cds import _card

    for n in (138, 139, 140, 141, 400):
        card = _card("x" * n, "info", "detail", "http://h/")
        assert len(card["summary"]) < 140
        assert card["summary"] == "x" * n or card["summary"].endswith("…")


def unitless(code: str, value) -> dict:
    o = obs(code, 1.0, "mmol/L")
    o["valueQuantity"] = {"value": value}
    return o


def summaries(r) -> str:
    return " | ".join(c["summary"] for c in r.json()["cards"])


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        (unitless("2601-3", 0.4), "Mg observation of 2024-05-01: without a unit"),
        (obs("2601-3", -0.4, "mmol/L"), "Mg observation of 2024-05-01 '-0.4 mmol/L'"),
        (obs("2601-3", 1e308, "mmol/L"), "Mg observation of 2024-05-01 '1e+308 mmol/L'"),
        (
            {k: v for k, v in obs("2601-3", 0, "").items() if k != "valueQuantity"} | {"valueString": ">7.0"},
            "Mg observation of 2024-05-01: '>7.0' is not a number with a unit",
        ),
    ],
)
def test_one_unreadable_observation_is_skipped_and_named(client, bad, said):
    labs = [obs("2823-3", 6.4, "mmol/L"), obs("98979-8", 8, "mL/min/{1.73_m2}"), bad]
    r = client.post("/cds-services/lytes-electrolytes", json=request("patient-view", labs))
    assert r.status_code == 200, r.text
    cards = r.json()["cards"]
    for card in cards:
        check_card(card)
    assert any("hyperkal" in c["summary"].lower() for c in cards)  # the K card is still there
    info = [c for c in cards if c["indicator"] == "info" and "not read" in c["detail"]]
    assert len(info) == 1 and said in info[0]["detail"]
    assert "Mg" in info[0]["summary"]
    if "without a unit" in said:
        assert "Mg observation without a unit" in info[0]["summary"]


def test_value_string_with_a_unit_is_read(client):
    k = {k: v for k, v in obs("2823-3", 0, "").items() if k != "valueQuantity"} | {"valueString": "6.4 mmol/L"}
    r = client.post("/cds-services/lytes-electrolytes", json=request("patient-view", [k]))
    assert r.status_code == 200
    assert "6.4" in summaries(r) and "not read" not in r.text


@pytest.mark.parametrize(
    ("prefetch", "key"),
    [
        (None, "patient"),
        ({}, "patient"),
        ({"patient": PATIENT, "labs": None, "medications": bundle(), "conditions": bundle()}, "labs"),
        (
            {
                "patient": PATIENT,
                "labs": {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout"}]},
                "medications": bundle(),
                "conditions": bundle(),
            },
            "labs",
        ),
    ],
)
def test_missing_prefetch_is_412_naming_the_key(client, prefetch, key):
    body = request("patient-view")
    if prefetch is None:
        body.pop("prefetch")
    else:
        body["prefetch"] = prefetch
    r = client.post("/cds-services/lytes-electrolytes", json=body)
    assert r.status_code == 412, r.text
    assert r.json()["field"] == f"prefetch.{key}" and repr(key) in r.json()["error"]


def test_prefetch_without_labs_says_so(client):
    r = client.post("/cds-services/lytes-electrolytes", json=request("patient-view"))
    assert r.status_code == 200
    (card,) = r.json()["cards"]
    check_card(card)
    assert card["indicator"] == "info" and "no K, Mg, Ca or creatinine observations were read" in card["summary"]


def test_drug_causes_are_named_and_unknown_drugs_noted(client):
    labs = [obs("2601-3", 0.45, "mmol/L"), obs("2823-3", 4.1, "mmol/L")]
    meds = [med("Omeprazole 20 mg capsule"), med("Xyzzyzumab 5 mg", rid="m2")]
    cards = client.post("/cds-services/lytes-electrolytes", json=request("patient-view", labs, meds)).json()["cards"]
    low_mg = next(c for c in cards if "hypomagnes" in c["summary"].lower())
    assert "omeprazole" in low_mg["detail"].lower()
    assert any("not recognised: Xyzzyzumab" in c["summary"] for c in cards)
    # high K on spironolactone: the K card names it
    labs = [obs("2823-3", 6.2, "mmol/L"), obs("98979-8", 40, "mL/min/{1.73_m2}")]
    cards = client.post(
        "/cds-services/lytes-electrolytes", json=request("patient-view", labs, [med("Spironolactone 25 mg")])
    ).json()["cards"]
    high_k = next(c for c in cards if c["summary"].lower().endswith("hyperkalaemia"))
    assert "spironolactone" in high_k["detail"].lower()
    # a loop diuretic with low K
    labs = [obs("2823-3", 3.0, "mmol/L")]
    cards = client.post(
        "/cds-services/lytes-electrolytes", json=request("patient-view", labs, [med("Furosemide 40 mg tablet")])
    ).json()["cards"]
    low_k = next(c for c in cards if c["summary"].lower().endswith("hypokalaemia"))
    assert "furosemide" in low_k["detail"].lower()
