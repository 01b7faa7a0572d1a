"""The FastAPI application: the page (Jinja2 + HTMX + plotly.js, all served from the package), the REST API with the
command line's JSON contracts, and the CDS Hooks service. Errors are one line naming the field; never a traceback."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from fastapi import Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import InputError
from ..result import NOTICE, SERIES
from ..summary import when
from . import cds, figures, forms
from .service import (
    Busy,
    Limits,
    RunTimeExceeded,
    assess_contract,
    load_scenario,
    population_contract,
    run_contract,
    simulate_limited,
    to_json,
)

HERE = resources.files("lytes.web")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunRequest(_Body):
    scenario: str | dict[str, Any] | None = Field(
        None, description="A built-in scenario name (see GET /api/scenarios) or a scenario as a mapping"
    )
    yaml: str | None = Field(None, description="A scenario as YAML text (instead of 'scenario')")
    every: str | None = Field(None, description="Output interval, e.g. '30 min' (default: 15 min)")


class AssessRequest(_Body):
    labs: dict[str, str] = Field(..., description="e.g. {'K': '2.9 mmol/L', 'Mg': '1.1 mg/dL'}")
    age: float | None = None
    sex: str | None = None
    weight: str | float | None = Field(None, description="e.g. '80 kg' (or a number of kg)")
    egfr: str | float | None = Field(None, description="mL/min/1.73m2")
    meds: list[str] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    urine: dict[str, str] | None = None
    reflexes: str | None = None
    resp_rate: str | float | None = None
    ecg: list[str] | None = None
    urine_output: str | None = None
    dialysis: str | None = None
    simulate: bool = Field(False, description="Simulate the standard options (as lytes assess --simulate)")


class PopulationRequest(_Body):
    spec: str = Field(..., description="A built-in population (mgso4_population, ckd_k_repletion_population)")
    n: int = 50
    seed: int = 0
    every: str | None = None


class ErrorBody(BaseModel):
    """Every refusal: one line naming the field, the value and what is allowed."""

    error: str = Field(..., description="e.g. \"patient.weight: '-3 kg' is not allowed; expected ...\"")
    field: str | None = Field(None, description="the request field it names, e.g. 'patient.weight' or 'body'")


def _responses(*codes: int) -> dict:
    said = {
        400: "The body is not valid JSON",
        404: "No such service or item",
        412: "The prefetch this service needs is missing (CDS Hooks 2.0); the error names the prefetch key",
        413: "The body is larger than the server's limit (GET /api/limits)",
        422: "A value is not allowed, or the run went past the server's time limit; the error names the field",
        503: "Every simulation slot stayed busy; try again",
    }
    return {code: {"model": ErrorBody, "description": said[code]} for code in codes}


API_ERRORS = _responses(400, 404, 413, 422, 503)
CDS_ERRORS = _responses(400, 404, 412, 413, 422, 503)


def _error(status: int, message: str, field: str | None = None) -> JSONResponse:
    body = {"error": " ".join(str(message).split())}
    if field is not None:
        body["field"] = field
    return JSONResponse(body, status_code=status)


class BodyLimit:
    """Refuse a request body over ``limit`` bytes with 413, whether or not it says its length."""

    class _TooLarge(Exception):
        pass

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        message = f"body: a request body of at most {self.limit:,} bytes"
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return await _error(413, f"{message} (this one has {length.decode(errors='replace')})", "body")(
                scope, receive, send
            )
        seen = 0
        started = False

        async def limited():
            nonlocal seen
            msg = await receive()
            if msg.get("type") == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    raise BodyLimit._TooLarge()
            return msg

        async def sending(msg):
            nonlocal started
            if msg.get("type") == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, limited, sending)
        except BodyLimit._TooLarge:
            if not started:
                await _error(413, message, "body")(scope, receive, send)


def create_app(limits: Limits | None = None) -> FastAPI:
    limits = limits or Limits()
    app = FastAPI(
        title="lytes",
        version=__version__,
        description=f"A virtual patient for Mg-K-Na-Ca balance: the page, the REST API (the JSON of `lytes run "
        f"--json`, `lytes assess --json` and `lytes population --json`) and a CDS Hooks service. {NOTICE}",
        docs_url=None,  # Swagger UI loads from a CDN; the page works offline, so /api lists the endpoints itself
        redoc_url=None,
    )
    app.state.limits = limits
    app.add_middleware(BodyLimit, limit=limits.max_body_bytes)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        """plotly.js from the installed plotly package (the [web] extra): served from this machine, never a CDN, and
        not a 4.7 MB copy in lytes' own tree."""
        from fastapi.responses import FileResponse

        path = resources.files("plotly").joinpath("package_data", "plotly.min.js")
        return FileResponse(str(path), media_type="text/javascript")

    app.mount("/static", StaticFiles(directory=str(HERE.joinpath("static"))), name="static")
    templates = Jinja2Templates(directory=str(HERE.joinpath("templates")))
    templates.env.globals.update(notice=NOTICE, version=__version__, series=SERIES)

    def page(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
        return templates.TemplateResponse(request, template, context, status_code=status)

    # --- errors: one line, naming the field; never a traceback ---------------------------------------------
    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError):
        return _error(422, str(exc), str(exc.field))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        err = exc.errors()[0] if exc.errors() else {"loc": ("body",), "msg": "a valid request"}
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        field = ".".join(loc) or "body"
        value = err.get("input")
        if err.get("type") == "json_invalid":
            return _error(400, "body: not valid JSON; expected a JSON object", "body")
        if field == "body" and not isinstance(value, dict):
            return _error(422, "body: not a JSON object; expected a JSON object", "body")
        if err.get("type") == "extra_forbidden":
            return _error(422, str(InputError(field, value, "no such key here; see /openapi.json")), field)
        if err.get("type") == "missing":
            return _error(422, f"{field}: missing; this key is required", field)
        shown = value if isinstance(value, (str, int, float, bool)) or value is None else type(value).__name__
        return _error(422, str(InputError(field, shown, err.get("msg", "a valid value").lower())), field)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"path: {request.url.path!r} is not a page or endpoint of lytes (see /api)"
        if exc.status_code == 405:
            detail = f"method: {request.method} is not allowed on {request.url.path}"
        return _error(exc.status_code, detail)

    @app.exception_handler(RunTimeExceeded)
    async def _too_long(request: Request, exc: RunTimeExceeded):
        return _error(422, _too_long_text(limits), "run_time")

    @app.exception_handler(Busy)
    async def _busy(request: Request, exc: Busy):
        return _error(503, f"server: every simulation slot ({limits.max_concurrent}) stayed busy; try again")

    @app.exception_handler(RuntimeError)
    async def _solver(request: Request, exc: RuntimeError):
        return _error(422, f"simulation failed: {' '.join(str(exc).split())[:300]}", "scenario")

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        return _error(500, "internal error: the request could not be completed (details are in the server's log)")

    # --- the REST API: the command line's JSON --------------------------------------------------------------
    @app.post("/api/run", tags=["api"], responses=API_ERRORS, summary="Run a scenario (lytes run --json)")
    def api_run(body: RunRequest) -> Response:
        sc = load_scenario(body.scenario, body.yaml)
        data, _ = run_contract(simulate_limited(sc, body.every, limits))
        return Response(to_json(data), media_type="application/json")

    @app.post(
        "/api/assess", tags=["api"], responses=API_ERRORS, summary="Read labs and clinical signs (lytes assess --json)"
    )
    def api_assess(body: AssessRequest) -> Response:
        args = body.model_dump(exclude={"simulate"})
        data, *_ = assess_contract(limits=limits, simulate_options=body.simulate, **args)
        return Response(to_json(data), media_type="application/json")

    @app.post(
        "/api/population",
        tags=["api"],
        responses=API_ERRORS,
        summary="Simulate a virtual population (lytes population --json)",
    )
    def api_population(body: PopulationRequest) -> Response:
        data = population_contract(body.spec, body.n, body.seed, body.every, limits)
        return Response(to_json(data), media_type="application/json")

    @app.get("/api/scenarios", tags=["api"], summary="The built-in scenarios: name, title, description")
    def api_scenarios() -> list[dict]:
        from ..scenario.catalog import describe

        return [{"name": n, "title": t, "description": d} for n, t, d in describe()]

    @app.get("/api/limits", tags=["api"], summary="This server's limits per request")
    def api_limits() -> dict:
        return {
            "max_duration_d": limits.max_duration_h / 24,
            "max_arms": limits.max_arms,
            "max_population": limits.max_population,
            "max_body_bytes": limits.max_body_bytes,
            "max_run_s": limits.max_run_s,
        }

    # --- CDS Hooks ------------------------------------------------------------------------------------------
    @app.get("/cds-services", tags=["cds-hooks"], summary="CDS Hooks discovery")
    def cds_discovery() -> dict:
        return cds.discovery()

    @app.post(
        "/cds-services/{service_id}",
        tags=["cds-hooks"],
        responses=CDS_ERRORS,
        summary="CDS Hooks: patient-view, order-select",
    )
    def cds_service(service_id: str, request: Request, body: dict[str, Any] = Body(...)) -> Response:  # noqa: B008
        if service_id not in (cds.SERVICE_ID, cds.ORDER_SERVICE_ID):
            return _error(404, f"service: {service_id!r} is not a service here; see GET /cds-services", "service")
        try:
            data = cds.cards(body, str(request.base_url), limits, service_id)
        except cds.PrefetchMissing as exc:
            return _error(412, str(exc), f"prefetch.{exc.keys[0]}")
        return Response(to_json(data), media_type="application/json")

    # --- pages ----------------------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, builtin: str | None = None):
        from ..result import scenario_data
        from ..scenario.catalog import describe

        chosen = builtin if builtin else "healthy"
        try:
            sc = load_scenario(chosen)
        except InputError as exc:
            return page(request, "message.html", 404, title="not a built-in scenario", message=str(exc))
        form = forms.form_from_scenario(scenario_data(sc))
        yaml_text = _yaml_of(scenario_data(sc))
        return page(
            request,
            "index.html",
            form=form,
            builtins=describe(),
            chosen=chosen,
            vocab=_vocab(),
            limits=limits,
            yaml_text=yaml_text,
        )

    @app.post("/ui/load", response_class=HTMLResponse, include_in_schema=False)
    async def ui_load(request: Request):
        from ..result import scenario_data

        got = await request.form()
        try:
            if got.get("yaml_file") is not None and hasattr(got.get("yaml_file"), "read"):
                raw = await got["yaml_file"].read()
                text = raw.decode("utf-8") if raw else ""
                sc = load_scenario(yaml_text=text)
            elif (got.get("source") or "") == "yaml":
                sc = load_scenario(yaml_text=str(got.get("yaml", "")))
            else:
                sc = load_scenario(str(got.get("builtin", "healthy")))
        except UnicodeDecodeError:
            return page(request, "_form_error.html", message="yaml_file: not UTF-8 text; expected a YAML file")
        except InputError as exc:
            return page(request, "_form_error.html", message=str(exc))
        form = forms.form_from_scenario(scenario_data(sc))
        yaml_text = _yaml_of(scenario_data(sc))
        return page(
            request, "_form_fields.html", form=form, vocab=_vocab(), loaded=sc.name, oob=True, yaml_text=yaml_text
        )

    @app.post("/ui/run", response_class=HTMLResponse, include_in_schema=False)
    async def ui_run(request: Request):
        got = await request.form()
        return await run_in_threadpool(_ui_run, request, got)

    def _ui_run(request: Request, got):
        fields: dict = {}
        try:
            data, fields = _form_data(got)
            sc = load_scenario(yaml_text=data) if isinstance(data, str) else load_scenario(data)
            result = simulate_limited(sc, got.get("every") or None, limits)
        except forms.FormErrors as exc:
            return page(request, "_results.html", error=_count(exc.errors), errors=exc.errors)
        except InputError as exc:
            target = forms.field_id(exc.field, fields)
            if str(exc.field).startswith(("arm-", "iv-", "med-")):
                target = str(exc.field)
            if target is None and str(got.get("source")) == "yaml":
                target = "yaml"
            return page(request, "_results.html", error=str(exc), errors={target or "form": str(exc)})
        except RunTimeExceeded:
            text = _too_long_text(limits)
            return page(request, "_results.html", error=text, errors={"duration": text})
        except Busy:
            return page(request, "_results.html", error="server busy: try again", errors={})
        except RuntimeError as exc:
            return page(request, "_results.html", error=f"simulation failed: {exc}", errors={})
        _, findings = run_contract(result)
        return page(request, "_results.html", **_run_view(result, findings), yaml_text=_yaml_of(result.scenario))

    @app.post("/ui/download/{kind}", include_in_schema=False)
    async def ui_download(request: Request, kind: str):
        if kind not in ("csv", "json", "yaml"):
            return _error(404, f"kind: {kind!r} is not allowed; expected csv, json or yaml", "kind")
        got = await request.form()
        return await run_in_threadpool(_ui_download, kind, got)

    def _ui_download(kind: str, got):
        sc, _ = _scenario_of(got)
        slug = "".join(c if c.isalnum() else "_" for c in sc.name)[:60] or "scenario"
        if kind == "yaml":
            from ..result import scenario_data

            text = _yaml_of(scenario_data(sc))
            return _attachment(text, f"{slug}.yaml", "application/yaml")
        result = simulate_limited(sc, got.get("every") or None, limits)
        if kind == "json":
            data, _ = run_contract(result)
            return _attachment(to_json(data), f"{slug}.json", "application/json")
        import tempfile

        with tempfile.TemporaryDirectory(prefix="lytes-web-") as folder:
            path = Path(folder) / "result.csv"
            result.to_csv(path, sidecar=False)  # the plain CSV of lytes run --csv (its notice is on the page)
            text = path.read_text(encoding="utf-8")
        return _attachment(text, f"{slug}.csv", "text/csv")

    @app.get("/api", response_class=HTMLResponse, include_in_schema=False)
    def api_page(request: Request):
        schema = app.openapi()
        endpoints = [
            (method.upper(), path, op.get("summary", ""))
            for path, ops in schema["paths"].items()
            for method, op in ops.items()
        ]
        return page(request, "api.html", endpoints=endpoints, limits=limits)

    @app.get("/assess", response_class=HTMLResponse, include_in_schema=False)
    def assess_page(request: Request):
        return page(request, "assess.html", vocab=_vocab())

    @app.post("/ui/assess", response_class=HTMLResponse, include_in_schema=False)
    async def ui_assess(request: Request):
        got = await request.form()
        return await run_in_threadpool(_ui_assess, request, got)

    def _ui_assess(request: Request, got):
        labs, fields, errors = {}, {}, {}

        def number(form_id: str, field: str, unit: str, low=0.0) -> str | None:
            value = str(got.get(form_id, "")).strip()
            if not value:
                return None
            try:
                return forms.check_number(value, field, unit, low)
            except InputError as exc:
                errors[form_id] = str(exc)
                return None

        for lab in ("K", "Mg", "Ca", "iCa", "Na", "creatinine", "phosphate", "PTH"):
            unit = str(got.get(f"lab_{lab}_unit", "mmol/L"))
            value = number(f"lab_{lab}", f"lab {lab}", unit)  # the unit is the one chosen beside it, never typed
            if value:
                labs[lab] = f"{value} {unit}"
                fields[f"lab {lab}"] = f"lab_{lab}"
        args = {k: (str(got.get(k, "")).strip() or None) for k in ("sex", "reflexes", "urine_output")}
        args["dialysis"] = str(got.get("dialysis", "")).strip() or None
        weight = number("weight", "weight", "kg")
        args["weight"] = f"{weight} kg" if weight else None
        egfr = number("egfr", "egfr", "mL/min/1.73 m²", None)
        args["egfr"] = float(egfr) if egfr else None
        age = number("age", "age", "years (an adult age, 18-120)")
        if age:
            args["age"] = float(age)
        resp = number("resp_rate", "resp_rate", "breaths/min")
        if errors:
            first = next(iter(errors.values()))
            text = first if len(errors) == 1 else _count(errors)
            return page(request, "_assess_results.html", error=text, errors=errors)
        try:
            data, assessment, options, chosen = assess_contract(
                labs,
                limits,
                meds=[m.strip() for m in str(got.get("meds", "")).split(",") if m.strip()],
                conditions=[c.strip() for c in str(got.get("conditions", "")).split(",") if c.strip()],
                resp_rate=resp or None,
                ecg=got.getlist("ecg") or None,
                simulate_options=got.get("simulate") == "on",
                **args,
            )
        except InputError as exc:
            target = fields.get(str(exc.field)) or {"meds": "meds", "med": "meds"}.get(str(exc.field))
            target = target or (str(exc.field) if str(exc.field) in _ASSESS_IDS else "form")
            return page(request, "_assess_results.html", error=str(exc), errors={target: str(exc)})
        except (RunTimeExceeded, Busy, RuntimeError) as exc:
            message = _too_long_text(limits) if isinstance(exc, RunTimeExceeded) else f"simulation failed: {exc}"
            return page(request, "_assess_results.html", error=message, errors={})
        view = {"data": data, "assessment": assessment, "options": None}
        if options is not None:
            view["options"] = data["options"]
            view["plots"] = figures.options_figures(options, chosen)
            view["primary"] = chosen.primary
            view["units"] = options.units
        return page(request, "_assess_results.html", **view)

    @app.get("/builtins", response_class=HTMLResponse, include_in_schema=False)
    def builtins_page(request: Request):
        from ..scenario.catalog import describe

        return page(request, "builtins.html", builtins=describe())

    @app.get("/builtins/{name}", response_class=HTMLResponse, include_in_schema=False)
    def builtin_page(request: Request, name: str):
        from ..scenario.catalog import builtin_path, names

        if name not in names():
            return page(request, "message.html", 404, title="not found", message=f"{name!r} is not a built-in scenario")
        text = builtin_path(name).read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        return page(request, "builtin.html", name=name, data=data, text=text)

    @app.get("/validation", response_class=HTMLResponse, include_in_schema=False)
    def validation_page(request: Request):
        report = _report_path()
        if report is not None:
            from markdown_it import MarkdownIt

            md = MarkdownIt("commonmark", {"html": False}).enable("table")
            body = md.render(report.read_text(encoding="utf-8")).replace('src="figures/', 'src="/validation/figures/')
            body = body.replace("<table>", '<div class="table-wrap"><table>').replace("</table>", "</table></div>")
            return page(request, "validation.html", body=body, cases=None)
        from ..validation import cases

        return page(request, "validation.html", body=None, cases=list(cases().values()))

    @app.get("/validation/figures/{name}", include_in_schema=False)
    def validation_figure(name: str):
        report = _report_path()
        folder = report.parent / "figures" if report is not None else None
        allowed = {p.name: p for p in folder.iterdir()} if folder is not None and folder.is_dir() else {}
        if name not in allowed or not name.endswith((".png", ".svg")):
            return _error(404, f"figure: {name!r} is not a figure of the validation report", "figure")
        media = "image/png" if name.endswith(".png") else "image/svg+xml"
        return Response(allowed[name].read_bytes(), media_type=media)

    return app


_ASSESS_IDS = {"age", "sex", "weight", "egfr", "reflexes", "resp_rate", "ecg", "urine_output", "dialysis", "meds"}


def _count(errors: dict) -> str:
    """The one line above the fields when several are wrong (each field shows its own message)."""
    if len(errors) == 1:
        return next(iter(errors.values()))
    return f"{len(errors)} fields need a fix (each is marked next to its field): " + "; ".join(errors.values())


def _too_long_text(limits: Limits) -> str:
    return (
        f"run_time: the run took longer than {limits.max_run_s:g} s, the limit per request on this server; shorten "
        "the duration or lengthen the output interval, or run it with the command line"
    )


def _attachment(text: str, filename: str, media: str) -> Response:
    return Response(text, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _yaml_of(data: dict | None) -> str:
    return yaml.safe_dump(data or {}, sort_keys=False, allow_unicode=True, width=100)


def _form_data(got) -> tuple[dict | str, dict]:
    """What the page's form asks for - the YAML box's text, or the form fields as scenario data - and the map from
    scenario fields to form fields."""
    if str(got.get("source") or "form") == "yaml":
        return str(got.get("yaml", "")), {}

    def get(name, default=None):
        value = got.get(name)
        return default if value is None else str(value)

    return forms.scenario_from_form(get)


def _scenario_of(got):
    data, fields = _form_data(got)
    return (load_scenario(yaml_text=data) if isinstance(data, str) else load_scenario(data)), fields


def _vocab() -> dict:
    from ..scenario.products import products
    from ..scenario.regimen import conditions, drugs
    from ..scenario.vocabulary import ROUTES

    return {
        "drugs": sorted(drugs()),
        "products": sorted(p.name for p in products().values()),
        "conditions": sorted(conditions()),
        "routes": list(ROUTES),
    }


def _run_view(result, findings) -> dict:
    arms = figures.arms_of(result)
    duration = float(next(iter(arms.values())).time_h[-1])
    header, rows = figures.summary_rows(result)
    found = {
        arm: [
            {
                "severity": f.severity,
                "code": f.code,
                "when": when(f.time_h, duration),
                "summary": f.summary,
                "lasting": f"still {f.at_end} at the end" if f.at_end else f"until {when(f.last_h, duration)}",
                "consider": f.finding.consider,
            }
            for f in items
        ]
        for arm, items in findings.items()
    }
    notes = list(dict.fromkeys(n for r in arms.values() for n in r.notes))
    descriptions = getattr(result, "descriptions", {}) or {}
    return {
        "name": result.name,
        "plots": figures.figures(result, findings),
        "header": header,
        "rows": rows,
        "findings": found,
        "balance": figures.balance_rows(result),
        "notes": notes,
        "descriptions": descriptions,
        "arms": list(arms),
        "duration": when(duration, duration),
    }


def _report_path() -> Path | None:
    """docs/validation/report.md of a source checkout (editable install), if there is one."""
    root = Path(str(resources.files("lytes"))).resolve().parents[1]
    report = root / "docs" / "validation" / "report.md"
    return report if report.is_file() else None
