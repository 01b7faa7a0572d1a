"""The REST API (the command line's JSON contracts), its limits and errors, the pages, and `lytes serve`."""

import json
import subprocess
import sys
import warnings

import pytest
import yaml
from typer.testing import CliRunner

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

with warnings.catch_warnings():  # starlette's TestClient warns when it is used with httpx rather than httpx2
    warnings.simplefilter("ignore")  # (StarletteDeprecationWarning: install httpx2)
    from fastapi.testclient import TestClient

from lytes.cli import app as cli  # noqa: E402
from lytes.result import NOTICE  # noqa: E402
from lytes.scenario.catalog import names  # noqa: E402
from lytes.web import create_app  # noqa: E402
from lytes.web.service import Limits  # noqa: E402

FAST = "mgso4_renal_impairment"  # 48 h, ~0.1 s


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


def one_line_error(r, status: int, field: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["field"] == field
    assert "\n" not in body["error"] and "Traceback" not in body["error"]
    return body["error"]


def test_run_gives_the_cli_json(client):
    r = client.post("/api/run", json={"scenario": FAST})
    assert r.status_code == 200
    out = CliRunner().invoke(cli, ["run", FAST, "--json"])
    assert out.exit_code == 0
    assert r.json() == json.loads(out.stdout)


def test_run_yaml_text_and_mapping(client):
    text = "name: short\npatient: {weight: 60 kg, egfr: 40 mL/min/1.73m2}\nduration: 12 h\n"
    a = client.post("/api/run", json={"yaml": text, "every": "1 h"}).json()
    assert a["name"] == "short" and a["arms"]["main"]["time_h"] == [float(h) for h in range(13)]
    b = client.post(
        "/api/run",
        json={
            "scenario": {
                "name": "short",
                "duration": "12 h",
                "patient": {"weight": "60 kg", "egfr": "40 mL/min/1.73m2"},
            },
            "every": "1 h",
        },
    ).json()
    assert b["arms"]["main"]["series"]["K_serum"] == a["arms"]["main"]["series"]["K_serum"]
    assert a["notice"] == NOTICE


def test_a_path_is_never_read(client):
    error = one_line_error(client.post("/api/run", json={"scenario": "/etc/passwd"}), 422, "scenario")
    assert "file paths are not accepted" in error
    one_line_error(client.post("/api/run", json={"scenario": "src/lytes/builtins/healthy.yaml"}), 422, "scenario")
    one_line_error(client.post("/api/population", json={"spec": "/etc/passwd"}), 422, "spec")


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"yaml": "duration: 100 d"}, "duration", "at most 90 d on this server"),
        ({"yaml": "arms: {" + ", ".join(f"a{i}: {{}}" for i in range(7)) + "}\nduration: 1 d"}, "arms", "at most 6"),
        ({"yaml": "patient: {weight: 4 kg/L}"}, "patient.weight", "'4 kg/L' is not allowed"),
        ({"yaml": "a: &x [1]\n" + "b: [" + ", ".join(["*x"] * 101) + "]"}, "b[100]", "aliases"),
        ({"yaml": "x: [\n"}, "yaml", "valid YAML"),
        ({"scenario": "healthy", "yaml": "duration: 1 d"}, "scenario", "either"),
        ({"scenario": "healthy", "extra": 1}, "extra", "no such key"),
        ({"scenario": "healthy", "every": "1 kg"}, "every", "'1 kg'"),
    ],
)
def test_bad_runs_are_one_line_422_naming_the_field(client, body, field, words):
    assert words in one_line_error(client.post("/api/run", json=body), 422, field)


def test_body_size_limit(client):
    big = json.dumps({"yaml": "x" * 1_100_000})
    one_line_error(client.post("/api/run", content=big, headers={"content-type": "application/json"}), 413, "body")


def test_malformed_json_is_400(client):
    r = client.post("/api/run", content=b"{bad", headers={"content-type": "application/json"})
    assert "not valid JSON" in one_line_error(r, 400, "body")
    r = client.post(
        "/cds-services/lytes-electrolytes", content=b'{"hook": ', headers={"content-type": "application/json"}
    )
    assert "not valid JSON" in one_line_error(r, 400, "body")


def test_run_time_limit():
    client = TestClient(create_app(Limits(max_run_s=0.0)))
    error = one_line_error(client.post("/api/run", json={"scenario": FAST}), 422, "run_time")
    assert "longer than 0 s" in error


def test_no_stack_trace_on_an_internal_error(monkeypatch):
    import lytes.web.app as web_app

    def broken(*args, **kwargs):
        raise ZeroDivisionError("secret detail")

    monkeypatch.setattr(web_app, "run_contract", broken)
    client = TestClient(create_app(), raise_server_exceptions=False)
    r = client.post("/api/run", json={"scenario": FAST})
    assert r.status_code == 500
    assert "secret" not in r.text and "Traceback" not in r.text and r.json()["error"].startswith("internal error")


def test_assess_gives_the_cli_json(client):
    body = {"labs": {"K": "2.9 mmol/L", "Mg": "1.1 mg/dL"}, "age": 70, "sex": "female", "meds": ["Lasix"]}
    r = client.post("/api/assess", json=body)
    assert r.status_code == 200
    out = CliRunner().invoke(
        cli,
        [
            "assess",
            "--lab",
            "K=2.9 mmol/L",
            "--lab",
            "Mg=1.1 mg/dL",
            "--age",
            "70",
            "--sex",
            "female",
            "--med",
            "Lasix",
            "--json",
        ],
    )
    assert r.json() == json.loads(out.stdout)
    codes = [f["code"] for f in r.json()["findings"]]
    assert "hypomagnesemia" in codes


def test_assess_with_options_and_egfr(client):
    r = client.post(
        "/api/assess", json={"labs": {"K": "6.4 mmol/L"}, "egfr": 8, "meds": ["propranolol"], "simulate": True}
    )
    assert r.status_code == 200
    data = r.json()
    assert data["egfr"] == 8 and data["findings"][0]["severity"] == "urgent"
    assert data["options"]["arms"] and data["options"]["times_h"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"labs": {"K": "45 mmol/L"}}, "lab K"),
        ({"labs": {}}, "labs"),
        ({"labs": {"K": "4 mmol/L"}, "meds": ["metoprolo"]}, "meds"),
        ({"labs": {"K": "4 mmol/L"}, "egfr": -4}, "egfr"),
        ({"labs": {"K": "4 mmol/L"}, "age": "old"}, "age"),
        ({"labs": "K=4"}, "labs"),
    ],
)
def test_bad_assess_is_one_line(client, body, field):
    one_line_error(client.post("/api/assess", json=body), 422, field)


def test_population_small_and_its_limit(client):
    r = client.post("/api/population", json={"spec": "mgso4_population", "n": 4, "seed": 1})
    assert r.status_code == 200
    data = r.json()
    assert data["n"] == 4 and data["seed"] == 1 and data["notice"] == NOTICE
    error = one_line_error(client.post("/api/population", json={"spec": "mgso4_population", "n": 101}), 422, "n")
    assert "from 1 to 100 on this server" in error
    one_line_error(client.post("/api/population", json={"spec": "mgso4_population", "n": 0}), 422, "n")


def test_openapi_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/run", "/api/assess", "/api/population", "/cds-services", "/cds-services/{service_id}"):
        assert path in paths
    for path in ("/api/run", "/api/assess", "/api/population"):
        documented = paths[path]["post"]["responses"]
        assert {"400", "413", "422"} <= set(documented), path
        assert documented["413"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorBody")
    assert {"404", "412", "422"} <= set(paths["/cds-services/{service_id}"]["post"]["responses"])


def ui_errors(r) -> dict:
    return json.loads(r.text.split('class="lytes-errors">')[1].split("</script>")[0])


def test_the_form_shows_every_field_error_at_once(client):
    form = {
        "patient_weight": "heavy",
        "patient_age": "4O",
        "lab_K": "3,1",  # a decimal comma is read as a point
        "lab_Mg": "0.4 mmol",
        "iv-0-at": "0 h",
        "iv-0-give": "MgSO4",
        "iv-0-dose": "four g",
        "diet_K": "80",
    }
    errors = ui_errors(client.post("/ui/run", data=form))
    assert set(errors) == {"patient_weight", "patient_age", "lab_Mg", "iv-0-dose", "diet_K"}
    assert "a number in kg" in errors["patient_weight"] and errors["patient_weight"].startswith("patient.weight:")
    assert "'0.4 mmol'" in errors["lab_Mg"] and "a number in mmol/L" in errors["lab_Mg"]
    # fixed, the decimal comma runs as 3.1
    form |= {
        "patient_weight": "70,5",
        "patient_age": "40",
        "lab_Mg": "0.7",
        "iv-0-dose": "4 g",
        "diet_K": "80 mmol/day",
    }
    yaml_text = client.post("/ui/download/yaml", data=form | {"duration": "6 h"}).text
    assert "K: 3.1 mmol/L" in yaml_text and "weight: 70.5 kg" in yaml_text


def test_a_form_scenario_uses_its_own_description_and_sources(client):
    from lytes.result import scenario_data
    from lytes.scenario import load
    from lytes.web import forms

    loaded = forms.form_from_scenario(scenario_data(load("mgso4_preeclampsia")))
    assert loaded["description"] and "description" not in loaded["extra"] and "sources" not in loaded["extra"]
    base = {"name": "mine", "duration": "6 h", "extra": loaded["extra"]}
    yaml_text = client.post("/ui/download/yaml", data=base | {"description": "my own"}).text
    assert "description: my own" in yaml_text and "sources: []" in yaml_text
    assert loaded["description"][:30] not in yaml_text
    kept = yaml.safe_load(client.post("/ui/download/yaml", data=base | {"sources": loaded["sources"]}).text)
    assert kept["sources"] == json.loads(loaded["sources"]) and kept["sources"]


def test_assess_page_never_echoes_a_unit_not_typed(client):
    got = client.post("/ui/assess", data={"lab_K": "2.9 mmol", "lab_K_unit": "mEq/L", "weight": "x", "age": "70"})
    errors = ui_errors(got)
    assert set(errors) == {"lab_K", "weight"}
    assert "'2.9 mmol'" in errors["lab_K"] and "mmol mEq" not in got.text
    assert "a number in kg" in errors["weight"]
    ok = client.post("/ui/assess", data={"lab_K": "2,9", "lab_K_unit": "mmol/L"})
    assert "K 2.9 mmol/L" in ok.text


def test_validation_tables_scroll_in_their_own_box(client):
    text = client.get("/validation").text
    assert "<table" in text
    assert text.count('<div class="table-wrap"><table') == text.count("<table")


def test_every_page_shows_the_notice_and_loads_nothing_from_elsewhere(client):
    for url in ["/", "/assess", "/builtins", "/validation", "/api", "/?builtin=refractory_hypokalemia"]:
        r = client.get(url)
        assert r.status_code == 200, url
        assert NOTICE in r.text, url
        assert 'src="http' not in r.text and 'href="http' not in r.text.replace('href="http://', "X"), url
    for name in names():
        r = client.get(f"/builtins/{name}")
        assert r.status_code == 200 and NOTICE in r.text
    assert client.get("/builtins/nope").status_code == 404
    for asset in ("htmx.min.js", "plotly.min.js", "app.js", "style.css"):
        assert client.get(f"/static/{asset}").status_code == 200


def test_page_run_and_downloads(client):
    r = client.post("/ui/run", data={"source": "yaml", "yaml": "name: t\nduration: 6 h\n"})
    assert r.status_code == 200 and "plot-K_serum" in r.text and "Mass balance" in r.text
    bad = client.post("/ui/run", data={"iv-0-at": "0 h", "iv-0-give": "MgSO4", "iv-0-dose": "4 kg"})
    errors = json.loads(bad.text.split('class="lytes-errors">')[1].split("</script>")[0])
    assert list(errors) == ["iv-0-dose"] and errors["iv-0-dose"].startswith("interventions[0].dose: '4 kg'")
    form = {"name": "dl", "duration": "6 h", "every": "1 h"}
    csv = client.post("/ui/download/csv", data=form)
    assert csv.status_code == 200 and csv.text.startswith("time_h,K_serum [mmol/L]")
    assert json.loads(client.post("/ui/download/json", data=form).text)["name"] == "dl"
    assert "duration: 6 h" in client.post("/ui/download/yaml", data=form).text


def test_the_form_round_trips_every_builtin(client):
    """Loaded into the form and read back, each built-in is the scenario it was."""
    from lytes.result import scenario_data
    from lytes.scenario import Scenario, load
    from lytes.web import forms

    for name in names():
        data = scenario_data(load(name))
        form = forms.form_from_scenario(data)
        flat = {k: form[k] for k in form if isinstance(form[k], str)}
        for ion, v in form["labs"].items():
            flat[f"lab_{ion}"], flat[f"lab_{ion}_unit"] = v["value"], v["unit"]
        flat |= {f"diet_{ion}": v for ion, v in form["diet"].items()}
        for prefix, rows in [("med-", form["meds"]), ("iv-", form["ivs"])] + [
            (f"arm-{j}-iv-", a["ivs"]) for j, a in enumerate(form["arms"])
        ]:
            flat |= {f"{prefix}{i}-{k}": v for i, row in enumerate(rows) for k, v in row.items() if k != "note"}
        for j, a in enumerate(form["arms"]):
            flat |= {f"arm-{j}-name": a["name"], f"arm-{j}-description": a["description"], f"arm-{j}-extra": a["extra"]}
        back, _ = forms.scenario_from_form(lambda k, d=None, flat=flat: flat.get(k, d))
        assert scenario_data(Scenario.from_dict(back)) == data, name


def test_help_does_not_import_the_web_stack():
    code = (
        "import sys\nfrom lytes.cli import main\nsys.argv = ['lytes', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('IMPORTED' if {'fastapi', 'uvicorn', 'starlette', 'jinja2'} & set(sys.modules) else 'LIGHT')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().endswith("LIGHT")


def test_serve_without_the_extra_says_how_to_install(monkeypatch):
    import lytes.web

    monkeypatch.setattr(lytes.web, "missing", lambda: ["fastapi", "uvicorn"])
    out = CliRunner().invoke(cli, ["serve"])
    assert out.exit_code == 2
    line = out.stderr.strip()
    assert "\n" not in line and 'pip install "lytes[web]"' in line


def test_serve_refuses_a_bad_port():
    out = CliRunner().invoke(cli, ["serve", "--port", "70000"])
    assert out.exit_code == 2 and "--port: 70000" in out.stderr
